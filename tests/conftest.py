"""Shared fixtures: a real backend on loopback over a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.settings import Settings
from tests.servers import LiveServer, make_settings, running_server


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "onair.sqlite3")


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    with running_server(settings) as live:
        yield live
