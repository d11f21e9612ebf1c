"""One real server per test module (building it per test would cost most of the run)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.security.world import World, build_world
from tests.servers import LiveServer, make_settings, running_server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path_factory.mktemp("security") / "onair.sqlite3")
    with running_server(settings) as server:
        yield server


@pytest.fixture(scope="module")
def http(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def world(live: LiveServer, http: httpx.Client) -> World:
    return build_world(live, http)
