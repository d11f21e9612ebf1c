"""Database.commit_together: concurrent actions share one transaction and one commit, and a
failing action undoes only its own changes and events."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import sqlite3
from pathlib import Path

import pytest

from backend.errors import Conflict
from backend.storage.db import Database

pytestmark = pytest.mark.one_engine  # SQLite's own commits (PostgreSQL: test_postgres.py)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "onair.sqlite3")
    database.conn.execute("CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    return database


def count_commits(db: Database) -> list[str]:
    commits: list[str] = []
    db.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    return commits


async def test_a_turns_actions_share_one_commit_and_failures_stay_their_own(db: Database) -> None:
    announced: list[str] = []

    def note(body: str) -> str:
        db.execute("INSERT INTO notes (id, body) VALUES (?, ?)", (body, body))
        db.after_commit(lambda: announced.append(body))
        if body == "bad":
            raise Conflict("refused")
        return body.upper()

    commits = count_commits(db)
    results = await asyncio.gather(
        *(db.commit_together(functools.partial(note, body)) for body in ("a", "bad", "c")),
        return_exceptions=True,
    )
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], Conflict)
    assert [row["id"] for row in db.all("SELECT id FROM notes ORDER BY id")] == ["a", "c"]
    assert announced == ["a", "c"]
    assert commits == ["COMMIT"]


async def test_an_answer_comes_only_after_the_commit(db: Database) -> None:
    await db.commit_together(lambda: db.execute("INSERT INTO notes (id, body) VALUES ('x', 'x')"))
    other = Database(db.path)  # another connection sees only what is committed
    try:
        assert other.scalar("SELECT COUNT(*) FROM notes") == 1
    finally:
        other.close()


async def test_a_cancelled_request_does_not_act(db: Database) -> None:
    acted: list[str] = []
    waiting = asyncio.ensure_future(db.commit_together(lambda: acted.append("cancelled")))
    kept = asyncio.ensure_future(db.commit_together(lambda: acted.append("kept")))
    await asyncio.sleep(0)  # both are queued for the same turn
    waiting.cancel()
    await kept
    assert acted == ["kept"]


async def test_committed_pages_reach_the_database_file_without_a_checkpoint_in_commit(
    db: Database, tmp_path: Path
) -> None:
    assert db.scalar("PRAGMA wal_autocheckpoint") == 0  # COMMIT never checkpoints on the loop
    await db.commit_together(lambda: db.execute("INSERT INTO notes (id, body) VALUES ('x', 'x')"))
    copy = tmp_path / "file-only.sqlite3"
    for _ in range(200):  # the checkpoint thread runs every half second
        shutil.copyfile(db.path, copy)  # the database file alone, without its WAL
        if notes_in(copy) == 1:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the WAL was never checkpointed into the database file")


def notes_in(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as alone:
        try:
            return int(alone.execute("SELECT COUNT(*) FROM notes").fetchone()[0])
        except sqlite3.OperationalError:  # not even the table is in the file yet
            return 0
