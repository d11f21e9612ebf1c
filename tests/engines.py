"""Which database engine the backend tests run on: SQLite, or a throwaway PostgreSQL cluster.

The tests under ``ENGINE_SUITES`` run twice, once per engine (``engine`` fixture in
tests/conftest.py). On PostgreSQL, one cluster serves the whole session (Debian's
``initdb`` + ``pg_ctl`` in a temp dir: ``bench._processes.postgres_server``), migrated once into
a template database; each ``make_settings`` call gets a fresh copy (``CREATE DATABASE ...
TEMPLATE``, made one ahead), as each SQLite test gets a fresh file — itself a copy of a
migrated template file (``SqliteTemplate``).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import shutil
import sqlite3
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from backend.storage.db import Database
from backend.storage.postgres import PostgresDatabase
from bench._processes import postgres_server

ENGINES = ("sqlite", "postgresql")
ENGINE_SUITES = ("tests/backend/", "tests/security/", "tests/faults/")
# Media forwarding keeps its state in memory; its sign-ins are the other suites' business.
ONE_ENGINE_SUITES = ("tests/backend/media/",)
TEMPLATE = "onair_template"


class PostgresCluster:
    """One running cluster; ``fresh_database()`` hands out migrated, empty databases."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self.admin_url = self._stack.enter_context(postgres_server())
        self._names = itertools.count(1)
        self._sql(f"CREATE DATABASE {TEMPLATE}")
        PostgresDatabase(self.url_of(TEMPLATE)).close()
        # The next database is copied while the current test runs: a copy takes 0.1-0.6 s of
        # the server's time (10 MB through the WAL), which would otherwise open every test.
        self._copier = self._stack.enter_context(ThreadPoolExecutor(1, "fresh-database"))
        self._next = self._copier.submit(self._copy_template)

    def url_of(self, name: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def fresh_database(self) -> str:
        url = self._next.result()
        self._next = self._copier.submit(self._copy_template)
        return url

    def _copy_template(self) -> str:
        name = f"test_{next(self._names)}"
        self._sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url_of(name)

    def _sql(self, statement: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def stop(self) -> None:
        self._stack.close()


class EngineChoice:
    """The engine of the tests running now (set by the ``engine`` fixture)."""

    name = "sqlite"
    cluster: PostgresCluster | None = None

    @classmethod
    def database_url(cls) -> str:
        """A fresh PostgreSQL database's URL, or "" (SQLite) — what ``make_settings`` uses."""
        if cls.name != "postgresql":
            return ""
        assert cls.cluster is not None, "the engine fixture starts the cluster"
        return cls.cluster.fresh_database()


class SqliteTemplate:
    """A migrated SQLite database, made once per process; a test's fresh database file starts
    as a copy of it, as a PostgreSQL test's database is a copy of ``TEMPLATE``. Running every
    migration into each new file cost 0.05-0.25 s a test server (hundreds in a run); the
    migrations still run in full once here, and for every database a test opens elsewhere."""

    _path: Path | None = None
    _lock = threading.Lock()

    @classmethod
    def copy_to(cls, path: Path) -> None:
        """Make ``path`` a copy of the template, unless a database is there already."""
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with (
            contextlib.closing(sqlite3.connect(cls._template())) as template,
            contextlib.closing(sqlite3.connect(path)) as copy,
        ):
            template.backup(copy)  # a consistent copy, whatever is still in the template's WAL

    @classmethod
    def _template(cls) -> Path:
        with cls._lock:
            if cls._path is None:
                folder = Path(tempfile.mkdtemp(prefix="onair-sqlite-template-"))
                atexit.register(shutil.rmtree, folder, ignore_errors=True)
                path = folder / "template.sqlite3"
                Database(path).close()
                cls._path = path
            return cls._path
