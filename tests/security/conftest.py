"""One real server per test module (building it per test would cost most of the run)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from backend.settings import Settings
from tests.security.world import World, build_world
from tests.servers import LiveServer, running_server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = Settings(
        db_path=tmp_path_factory.mktemp("security") / "onair.sqlite3",
        jwt_secret="security-secret-" + "x" * 32,
        port=0,
        allow_topup=True,
        rate_per_second=1000.0,
        rate_burst=5000,
        ws_messages_per_second=200.0,
    )
    with running_server(settings) as server:
        yield server


@pytest.fixture(scope="module")
def http(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def world(live: LiveServer, http: httpx.Client) -> World:
    return build_world(live, http)
