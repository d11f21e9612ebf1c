"""Studio settings that persist between runs: one JSON file in the user config directory.

``ONAIR_CONFIG_DIR`` overrides the directory (tests, portable installs). A missing, unreadable
or corrupt file gives the defaults instead of an error; unknown keys are ignored, so older and
newer versions of the app can share a file. Writes go through a temporary file and a rename,
so a crash never leaves half a file behind.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

log = logging.getLogger(__name__)

DEFAULT_BACKEND = "http://127.0.0.1:8765"
FILE_NAME = "studio.json"


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
    video_codec: str = "vp8"  # the next broadcast's: vp8 | h264 (studio.core.encoder.CODECS)
    shop_session_id: str = ""  # the live-shopping session the shop panel manages

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


class SettingsStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or config_dir()) / FILE_NAME

    def load(self) -> StudioSettings:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return StudioSettings()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable settings %s: %s", self.path, exc)
            return StudioSettings()
        return StudioSettings.from_dict(data) if isinstance(data, dict) else StudioSettings()

    def save(self, settings: StudioSettings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(settings.to_dict(), indent=2), encoding="utf-8")
        temporary.chmod(0o600)  # it holds the session token
        temporary.replace(self.path)
