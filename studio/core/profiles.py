"""Profiles: separate sign-ins and settings for several accounts on one machine (no Qt).

The default profile keeps the settings file where it always was (the config directory); a
named profile ``work`` keeps its own under ``<config>/profiles/work``. Logs and crash reports
follow the same pattern under the data directory (``ONAIR_DATA_DIR`` overrides it, as it
does for the backend's database).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

from studio.core.settings_store import config_dir

DEFAULT = "default"
PROFILES = "profiles"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


class ProfileError(ValueError):
    """A profile name that cannot be used (the message says what can)."""


def data_dir() -> Path:
    return Path(os.environ.get("ONAIR_DATA_DIR") or user_data_dir("onair-studio", "onair"))


@dataclass(frozen=True)
class Profile:
    name: str = DEFAULT

    @classmethod
    def named(cls, name: str | None) -> Profile:
        """The profile called ``name`` (None or "" is the default one)."""
        name = (name or DEFAULT).strip()
        if name.lower() == DEFAULT:  # "Default" is the default profile, not a second one
            return cls()
        if not _NAME.fullmatch(name):
            raise ProfileError(
                f"“{name}” cannot be a profile name: use up to 32 letters, digits, '-' or '_',"
                " starting with a letter or digit."
            )
        return cls(name)

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT

    @property
    def config_dir(self) -> Path:
        """Where this profile's settings (and saved presets) live."""
        return config_dir() if self.is_default else config_dir() / PROFILES / self.name

    @property
    def data_dir(self) -> Path:
        """Where this profile's log and crash reports go."""
        base = data_dir() / "studio"
        return base if self.is_default else base / PROFILES / self.name


def existing() -> list[Profile]:
    """The default profile, then every named profile made so far, by name."""
    folder = config_dir() / PROFILES
    names = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return [Profile(), *(Profile(n) for n in names if _NAME.fullmatch(n) and n != DEFAULT)]
