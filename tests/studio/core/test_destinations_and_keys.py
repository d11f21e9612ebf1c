"""Destinations (presets, URLs, saved form) and where stream keys are kept: never in the
settings, in the OS keyring when there is a real one, else in a file only the user reads."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import keyring.errors
import pytest
from keyring.backends import fail

from filters.params import ParamError
from studio.core.destinations import (
    DESTINATION_PARAMS,
    PRESETS,
    Destination,
    load_destinations,
)
from studio.core.shared_encoder import EncodeSetting
from studio.core.stream_key_store import (
    FileKeyStore,
    KeyringStore,
    has_real_keyring,
    key_store,
)


def test_every_preset_makes_a_valid_destination_with_the_platforms_server() -> None:
    for preset in PRESETS:
        destination = Destination.from_preset(preset.id)
        assert destination.name == preset.name
        assert destination.server == preset.server
        assert destination.setting.video_kbps == preset.bitrate_kbps
    tiktok = Destination.from_preset("tiktok").setting
    assert (tiktok.width, tiktok.height) == (720, 1280)  # the vertical canvas


def test_the_key_joins_the_server_url_only_to_push() -> None:
    youtube = Destination.from_preset("youtube")
    assert youtube.url("abcd-1234") == "rtmps://a.rtmps.youtube.com:443/live2/abcd-1234"
    assert "abcd" not in str(youtube.to_dict())
    srt = Destination.from_preset("srt").with_values(server="srt://ingest.example:9000?latency=200")
    assert srt.url("k1") == "srt://ingest.example:9000?latency=200&streamid=k1"


def test_a_destination_saves_and_loads_and_bad_saves_are_left_out() -> None:
    twitch = Destination.from_preset("twitch").with_values(bitrate=6000, resolution="1920x1080")
    saved = [
        twitch.to_dict(),
        {"preset": "nope", "id": "x"},
        {"id": "y"},
        {**twitch.to_dict(), "fps": 999},
    ]
    [loaded] = load_destinations(saved)
    assert loaded == twitch
    assert loaded.setting == EncodeSetting(1920, 1080, 6000, 30, preset="veryfast")


def test_values_outside_the_declared_parameters_are_refused_with_the_reason() -> None:
    twitch = Destination.from_preset("twitch")
    with pytest.raises(ParamError, match="bitrate: 90000 is above the maximum"):
        twitch.with_values(bitrate=90000)
    with pytest.raises(ParamError, match="unknown setting 'key'"):
        twitch.with_values(key="secret")
    assert {p.name for p in DESTINATION_PARAMS} == {
        "name",
        "server",
        "resolution",
        "fps",
        "bitrate",
        "speed",
    }


def test_without_a_real_keyring_keys_live_in_a_file_only_the_user_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    store = key_store(tmp_path)
    assert isinstance(store, FileKeyStore)
    store.set("dest1", "live_123_secret")
    store.set("dest2", "other")
    mode = stat.S_IMODE((tmp_path / "stream-keys.json").stat().st_mode)
    assert mode == 0o600
    reopened = key_store(tmp_path)
    assert reopened.get("dest1") == "live_123_secret"
    reopened.delete("dest1")
    assert key_store(tmp_path).get("dest1") == ""
    assert key_store(tmp_path).get("dest2") == "other"
    assert str(tmp_path / "stream-keys.json") in store.where


class MemoryKeyring:
    """An OS keyring as keyring's API presents it (the machine under test has none). Not a
    ``KeyringBackend`` subclass: those register themselves, and keyring would pick this one
    for every later test in the process."""

    priority = 5

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")  # as real backends do


def test_with_a_real_keyring_keys_go_there_and_no_file_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    assert has_real_keyring(backend) and not has_real_keyring(fail.Keyring())
    store = key_store(tmp_path)
    assert isinstance(store, KeyringStore)
    store.set("dest1", "sk_live")
    assert store.get("dest1") == "sk_live"
    assert list(tmp_path.iterdir()) == []
    store.delete("dest1")
    store.delete("dest1")  # deleting what is gone is fine
    assert store.get("dest1") == ""
