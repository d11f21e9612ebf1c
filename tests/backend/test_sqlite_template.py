"""A test's SQLite database starts as a copy of one migrated template (tests/engines.py): it
must be what running the migrations into a new file gives, and never replace a database that
is there already (a restarted server's, a test's own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.storage.db import Database
from tests.servers import make_settings

pytestmark = pytest.mark.one_engine  # SQLite's own files


def contents(db: Database) -> dict[str, object]:
    """Every table's definition and rows, and every index and trigger."""
    objects = db.all("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")
    tables = [o["name"] for o in objects if o["type"] == "table"]
    rows = {
        name: [tuple(r) for r in db.all(f'SELECT * FROM "{name}" ORDER BY 1')]
        for name in tables
        if name != "schema_migrations"  # when each step ran differs; which steps ran must not
    }
    steps = [r["name"] for r in db.all("SELECT name FROM schema_migrations ORDER BY name")]
    return {"schema": [tuple(o) for o in objects], "rows": rows, "steps": steps}


def test_a_test_database_is_what_the_migrations_make(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "copy" / "onair.sqlite3")
    assert settings.db_path.exists()  # copied before any server opens it
    copy, fresh = Database(settings.db_path), Database(tmp_path / "fresh.sqlite3")
    try:
        assert contents(copy) == contents(fresh)
        assert copy.scalar("PRAGMA journal_mode") == "wal"
    finally:
        copy.close()
        fresh.close()


def test_a_database_already_there_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "onair.sqlite3"
    db = Database(path)
    db.execute(
        "INSERT INTO schema_migrations (name, appliedAt) VALUES ('mine', '2020-01-01T00:00:00Z')"
    )
    db.close()
    make_settings(path)
    db = Database(path)
    try:
        assert db.scalar("SELECT COUNT(*) FROM schema_migrations WHERE name = 'mine'") == 1
    finally:
        db.close()
