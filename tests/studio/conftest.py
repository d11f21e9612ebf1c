"""Fixtures the studio's core and UI tests share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def studio_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fresh config and data folders (settings, profiles, logs, crash reports) for this test
    and the processes it starts: the environment to give them."""
    env = {"ONAIR_DATA_DIR": str(tmp_path / "data"), "ONAIR_CONFIG_DIR": str(tmp_path / "cfg")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **env, "QT_QPA_PLATFORM": "offscreen"}
