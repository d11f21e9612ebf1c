"""One real server per test module (building it per test would cost most of the run)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.security.world import World, build_world, close_readers
from tests.servers import LiveServer, make_settings, running_server


@pytest.fixture(scope="module")
def live(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The module's server on ``engine``'s database: asked for by name, so that a module whose
    two engine halves run back to back (as they do under pytest-xdist) gets a server for each."""
    settings = make_settings(tmp_path_factory.mktemp("security") / "onair.sqlite3")
    with running_server(settings) as server:
        yield server
    close_readers()


@pytest.fixture(scope="module")
def http(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def world(live: LiveServer, http: httpx.Client) -> World:
    return build_world(live, http)
