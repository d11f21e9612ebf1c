"""Where the bundled assets (faces, LUTs, presets, stickers, fonts) live."""

from __future__ import annotations

import os
from pathlib import Path

ASSETS_ENV = "ONAIR_ASSETS"


def assets_dir() -> Path:
    """The asset root: ``$ONAIR_ASSETS`` if set, else the repository's ``assets/`` folder."""
    override = os.environ.get(ASSETS_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "assets"


def asset(*parts: str) -> Path:
    """Path of a bundled asset, for example ``asset("luts", "warm.cube")``."""
    return assets_dir().joinpath(*parts)
