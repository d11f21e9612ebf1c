"""Shared fixtures: a real backend on loopback over a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.settings import Settings
from tests.servers import LiveServer, running_server


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db_path=tmp_path / "onair.sqlite3",
        jwt_secret="test-secret-" + "x" * 32,
        port=0,
        allow_topup=True,
        rate_per_second=1000.0,
        rate_burst=5000,
        ws_messages_per_second=200.0,
    )


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    with running_server(settings) as live:
        yield live
