"""Shared fixtures: a real backend on loopback over a real SQLite file, or a real PostgreSQL
database when the engine-parametrised suites run their PostgreSQL half (tests/engines.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.settings import Settings
from backend.storage.db import Database
from backend.storage.engines import open_database
from tests.engines import (
    ENGINE_SUITES,
    ENGINES,
    ONE_ENGINE_SUITES,
    EngineChoice,
    PostgresCluster,
)
from tests.servers import LiveServer, make_settings, running_server


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the session, started when a test first needs it."""
    cluster = PostgresCluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session", autouse=True)
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """The database engine of this test: "sqlite", or "postgresql" for the second run of the
    suites in ``ENGINE_SUITES`` (tests marked ``one_engine`` or in ``ONE_ENGINE_SUITES`` run
    once)."""
    name = getattr(request, "param", "sqlite")
    if name == "postgresql":
        EngineChoice.cluster = request.getfixturevalue("postgres_cluster")
    EngineChoice.name = name
    yield name
    EngineChoice.name = "sqlite"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    path = metafunc.definition.path.as_posix()
    on_both = any(f"/{suite}" in path for suite in ENGINE_SUITES) and not any(
        f"/{suite}" in path for suite in ONE_ENGINE_SUITES
    )
    if on_both and metafunc.definition.get_closest_marker("one_engine") is None:
        metafunc.parametrize("engine", ENGINES, indirect=True, scope="session")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "onair.sqlite3")


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The test's database (its SQLite file, or a fresh PostgreSQL database), without a server."""
    db = open_database(settings.db_path, settings.database_url)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    with running_server(settings) as live:
        yield live
