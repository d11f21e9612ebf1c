"""The settings file: saved soon after every change, written whole or not at all, and a
damaged file set aside instead of stopping the studio."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from studio.core.settings_store import FILE_NAME, SettingsSaver, SettingsStore, StudioSettings


async def test_a_burst_of_changes_is_written_once_soon_after_the_last(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    settings = StudioSettings()
    saver = SettingsSaver(store, settings, delay=0.05, max_delay=5.0)
    for minutes in range(1, 11):  # a slider dragged through ten values
        settings.battle_minutes = minutes
    assert saver.pending and not store.path.exists()
    while saver.pending:
        await asyncio.sleep(0.02)
    assert saver.saves == 1
    assert store.load().battle_minutes == 10

    settings.battle_minutes = 10  # the same value again is no change
    assert not saver.pending


async def test_changes_that_never_pause_are_still_written_by_the_deadline(
    tmp_path: Path,
) -> None:
    store = SettingsStore(tmp_path)
    settings = StudioSettings()
    saver = SettingsSaver(store, settings, delay=0.2, max_delay=0.3)
    minutes = 0
    while saver.saves == 0:  # a change every 20 ms: never a 200 ms pause
        minutes += 1
        settings.battle_minutes = minutes
        await asyncio.sleep(0.02)
    assert store.load().battle_minutes in (minutes, minutes - 1)


def test_without_an_event_loop_a_change_is_written_at_once(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    settings = StudioSettings()
    collected: list[str] = []
    SettingsSaver(store, settings, collect=lambda: collected.append(settings.source))
    settings.source = "camera:1"
    assert store.load().source == "camera:1"
    assert collected == ["camera:1"]


def test_a_write_that_fails_half_way_leaves_the_old_file_intact(tmp_path: Path) -> None:
    """A child process may write at most 2 KiB per file (RLIMIT_FSIZE): the new settings, far
    bigger, fail mid-write the way a full disk does."""
    store = SettingsStore(tmp_path)
    old = StudioSettings(username="alice", source="camera:0", battle_minutes=3)
    store.save(old)
    before = store.path.read_bytes()
    child = textwrap.dedent(
        f"""
        import resource, signal, sys
        from pathlib import Path
        from studio.core.settings_store import SettingsSaver, SettingsStore, StudioSettings

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG errors instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
        store = SettingsStore(Path({str(tmp_path)!r}))
        settings = store.load()
        errors = []
        saver = SettingsSaver(store, settings, on_error=errors.append)
        settings.effects = {{f"effect{{i}}": {{"amount": i}} for i in range(500)}}
        print(errors[0] if errors else "saved")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=True
    )
    assert "could not be saved" in done.stdout and "too large" in done.stdout, done.stdout
    assert store.path.read_bytes() == before
    assert store.load() == old
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no temporary file left


def test_settings_file_is_private_to_its_owner(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    store.save(StudioSettings(token="secret"))
    assert store.path.stat().st_mode & 0o077 == 0


def test_a_corrupt_file_is_set_aside_and_the_defaults_used(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    store.path.write_text('{"username": "alice", "effe')  # cut off by a crash
    assert store.load() == StudioSettings()
    assert store.set_aside is not None
    assert store.set_aside.name.startswith(f"{FILE_NAME}.corrupt-")
    assert store.set_aside.read_text() == '{"username": "alice", "effe'  # kept for the user
    assert not store.path.exists()

    store.save(StudioSettings(username="bob"))
    again = SettingsStore(tmp_path)
    assert again.load().username == "bob" and again.set_aside is None


def test_a_file_holding_something_other_than_an_object_is_set_aside(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    store.path.write_text(json.dumps(["not", "settings"]))
    assert store.load() == StudioSettings()
    assert store.set_aside is not None and store.set_aside.exists()


async def test_a_write_that_fails_in_the_background_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the settings folder should be")
    errors: list[str] = []
    settings = StudioSettings()
    saver = SettingsSaver(SettingsStore(blocker), settings, on_error=errors.append, delay=0.01)
    settings.source = "camera:2"
    while saver.pending:
        await asyncio.sleep(0.02)
    assert len(errors) == 1 and "could not be saved" in errors[0] and str(blocker) in errors[0]
    assert saver.saves == 0
