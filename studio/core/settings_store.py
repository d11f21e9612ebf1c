"""Studio settings that persist between runs: one JSON file in the user config directory.

``ONAIR_CONFIG_DIR`` overrides the directory (tests, portable installs). A missing or
unreadable file gives the defaults instead of an error; a corrupt one is set aside (renamed to
``studio.json.corrupt-<time>``, named by :attr:`SettingsStore.set_aside`) so the UI can say so
and nothing is lost. Unknown keys are ignored, so older and newer versions of the app can share
a file. Writes go to a temporary file that is flushed to disk before it replaces the old one,
so a crash or a power cut leaves either the old file or the new one, never half of either.

:class:`StudioSettings` tells its watchers when a field is assigned a different value;
:class:`SettingsSaver` uses that to write the file soon after every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from platformdirs import user_config_dir

log = logging.getLogger(__name__)

DEFAULT_BACKEND = "http://127.0.0.1:8765"
FILE_NAME = "studio.json"
SAVE_DELAY_S = 0.3  # after the last change...
SAVE_MAX_DELAY_S = 2.0  # ...but no later than this after the first unsaved one (slider drags)

Watcher = Callable[[str], None]


def config_dir() -> Path:
    return Path(os.environ.get("ONAIR_CONFIG_DIR") or user_config_dir("onair-studio", "onair"))


@dataclass
class StudioSettings:
    backend_url: str = DEFAULT_BACKEND
    username: str = ""
    token: str = ""  # remembered session; cleared on sign-out
    remember: bool = True
    source: str = "sample"  # sample | camera:<index> | file:<path>
    compare: bool = False  # before/after split in the preview
    window_geometry: str = ""  # Qt's saveGeometry(), base64
    window_state: str = ""  # Qt's saveState() (docks, toolbars), base64
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> values
    enabled_effects: list[str] = field(default_factory=list)
    preset: str = ""  # the effects panel's active preset, as named in its preset box
    battle_minutes: int = 5
    ask_live_details: bool = True  # Go Live asks for the live's title and category first
    video_codec: str = "vp8"  # the next broadcast's: vp8 | h264 (studio.core.encoder.CODECS)
    shop_session_id: str = ""  # the live-shopping session the shop panel manages
    output_quality: str = "auto"  # auto | a key of studio.core.output_quality.BY_KEY
    output_measured: dict[str, float] = field(default_factory=dict)  # key -> ms a frame
    # Other platforms (studio.core.destinations; their keys are in the key store, not here)
    # and how to record (studio.core.output_params.RECORDING_PARAMS, plus "folder").
    destinations: list[dict[str, Any]] = field(default_factory=list)
    recording: dict[str, Any] = field(default_factory=dict)
    audio_mix: dict[str, dict[str, Any]] = field(default_factory=dict)  # mixer channel -> values

    def __setattr__(self, name: str, value: Any) -> None:
        changed = name in _FIELD_NAMES and getattr(self, name, _UNSET) != value
        super().__setattr__(name, value)
        if changed:
            for watcher in tuple(self.__dict__.get("_watchers", ())):
                watcher(name)

    def watch(self, watcher: Watcher) -> None:
        """Call ``watcher(field name)`` whenever a field is assigned a different value
        (assign a new dict or list: changes made inside one are not seen)."""
        self.__dict__.setdefault("_watchers", []).append(watcher)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudioSettings:
        defaults = cls()
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in known and isinstance(value, type(getattr(defaults, name))):
                values[name] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return snapshot(self)


_FIELD_NAMES = frozenset(f.name for f in fields(StudioSettings))
_UNSET = object()


class SettingsStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or config_dir()) / FILE_NAME
        self.set_aside: Path | None = None  # where the last load() moved a corrupt file

    def load(self) -> StudioSettings:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return StudioSettings()
        except OSError as exc:
            log.warning("ignoring unreadable settings %s: %s", self.path, exc)
            return StudioSettings()
        except ValueError as exc:
            self._set_aside(f"not JSON ({exc})")
            return StudioSettings()
        if not isinstance(data, dict):
            self._set_aside(f"a JSON {type(data).__name__}, not an object")
            return StudioSettings()
        return StudioSettings.from_dict(data)

    def save(self, settings: StudioSettings) -> None:
        self.write(snapshot(settings))

    def write(self, text: str) -> None:
        """Write a :func:`snapshot` whole (see :func:`write_atomically`)."""
        write_atomically(self.path, text)

    def _set_aside(self, why: str) -> None:
        self.set_aside = set_aside(self.path, why) or self.set_aside


def snapshot(settings: StudioSettings) -> str:
    """The settings file's text for ``settings`` as they are now."""
    return json.dumps(settings.to_dict(), indent=2)


def set_aside(path: Path, why: str) -> Path | None:
    """Move the damaged file ``path`` out of the way (``<name>.corrupt-<time>``) so nothing
    is lost and a fresh one can take its place; where it went, or None if it could not move."""
    target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        path.replace(target)
    except OSError as exc:
        log.error("damaged file %s (%s) could not be moved: %s", path, why, exc)
        return None
    log.error("%s was damaged (%s): set aside as %s", path, why, target)
    return target


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole: to a temporary file, forced to disk, then renamed
    over the old file (an error on the way leaves the old file as it was)."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file readable by its owner only: settings hold the session token.
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(folder)


class SavedFile(Protocol):
    """Where a :class:`SettingsSaver` writes: a :class:`SettingsStore`, or the scenes'."""

    path: Path

    def write(self, text: str) -> None: ...


class Saved(Protocol):
    """What a :class:`SettingsSaver` keeps saved: it tells watchers about changes and gives
    its file's text (:class:`StudioSettings`, the scene collection)."""

    def watch(self, watcher: Watcher) -> None: ...

    def to_json(self) -> str: ...


def _sync_directory(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows cannot open a directory)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


class SettingsSaver:
    """Writes the settings soon after they change, so a crash keeps the setup.

    A change schedules a save ``delay`` seconds later on the running asyncio loop; another
    change moves it back, but never beyond ``max_delay`` after the first unsaved change. The
    settings are copied on the loop's thread and written by one worker thread, in order, so
    the UI never waits for the disk. Without a running loop, and in :meth:`flush` (closing),
    the write happens at once. ``collect`` runs before each save (the UI copies what only it
    holds, such as the window layout, into the settings); ``on_error`` receives a message, on
    the loop's thread, when the file cannot be written.
    """

    def __init__(
        self,
        store: SavedFile,
        settings: Saved,
        collect: Callable[[], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        delay: float = SAVE_DELAY_S,
        max_delay: float = SAVE_MAX_DELAY_S,
    ) -> None:
        self.store, self.settings = store, settings
        self.collect, self.on_error = collect, on_error
        self.delay, self.max_delay = delay, max_delay
        self.saves = 0
        self._timer: asyncio.TimerHandle | None = None
        self._first_change: float | None = None
        self._collecting = False
        self._writer: ThreadPoolExecutor | None = None
        self._writing: Future[None] | None = None
        settings.watch(lambda _name: self.changed())

    @property
    def pending(self) -> bool:
        """A save is scheduled, or being written and not yet accounted for."""
        return self._timer is not None or self._writing is not None

    def changed(self) -> None:
        """Something worth keeping changed: save it soon."""
        if self._collecting:  # collect() copying state in is part of this save
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        now = loop.time()
        if self._first_change is None:
            self._first_change = now
        if self._timer is not None:
            self._timer.cancel()
        due = min(now + self.delay, self._first_change + self.max_delay)
        self._timer = loop.call_at(due, self._save_in_background, loop)

    def flush(self) -> bool:
        """Save now and wait for it (a scheduled save is no longer needed); False if the
        write failed."""
        text = self._take_snapshot()
        if self._writing is not None:
            with contextlib.suppress(OSError):  # reported by its own callback
                self._writing.result()
        try:
            self.store.write(text)
        except OSError as exc:
            self._failed(exc)
            return False
        self.saves += 1
        return True

    def _save_in_background(self, loop: asyncio.AbstractEventLoop) -> None:
        text = self._take_snapshot()
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="settings-writer")
        writing = self._writer.submit(self.store.write, text)  # one worker: writes stay in order
        self._writing = writing
        writing.add_done_callback(lambda done: self._report_back(loop, done))

    def _report_back(self, loop: asyncio.AbstractEventLoop, done: Future[None]) -> None:
        """On the writer thread: hand the outcome to the loop's thread."""
        with contextlib.suppress(RuntimeError):  # the loop closed: the app has quit
            loop.call_soon_threadsafe(self._written, done)

    def _written(self, done: Future[None]) -> None:
        if self._writing is done:
            self._writing = None
        error = done.exception()
        if isinstance(error, OSError):
            self._failed(error)
        elif error is None:
            self.saves += 1

    def _take_snapshot(self) -> str:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._first_change = None, None
        self._collecting = True
        try:
            if self.collect is not None:
                self.collect()
        finally:
            self._collecting = False
        return self.settings.to_json()

    def _failed(self, error: OSError) -> None:
        log.error("could not save the settings to %s: %s", self.store.path, error)
        if self.on_error is not None:
            self.on_error(f"Your settings could not be saved to {self.store.path}: {error}")
