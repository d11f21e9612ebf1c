"""The SQLite database: one connection per process, WAL mode, explicit write transactions.

Every read-then-write runs inside ``transaction()``, which takes ``BEGIN IMMEDIATE`` so a
second writer (another worker process) waits instead of reading stale numbers.
``commit_together()`` lets concurrent requests share one transaction and one commit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from backend.storage.schema import ALL

Row = dict[str, Any]
T = TypeVar("T")
log = logging.getLogger(__name__)


class _RandomIds:
    """UUID4 strings from one ``os.urandom`` call per 256 ids (a syscall each is costly here)."""

    BLOCK = 256

    def __init__(self) -> None:
        self._pool: Iterator[bytes] = iter(())

    def next(self) -> str:
        raw = next(self._pool, None)
        if raw is None:
            block = os.urandom(16 * self.BLOCK)
            self._pool = iter([block[i : i + 16] for i in range(0, len(block), 16)])
            raw = next(self._pool)
        uid = bytearray(raw)
        uid[6] = uid[6] & 0x0F | 0x40  # version 4
        uid[8] = uid[8] & 0x3F | 0x80  # RFC 4122 variant
        text = uid.hex()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


new_id = _RandomIds().next


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_last_stamp: tuple[int, str] = (-1, "")


def now_iso() -> str:
    """The current time as stored (millisecond ISO 8601, UTC), formatted once per millisecond."""
    global _last_stamp
    millis = time.time_ns() // 1_000_000
    if _last_stamp[0] != millis:
        _last_stamp = (millis, iso(datetime.fromtimestamp(millis / 1000, UTC)))
    return _last_stamp[1]


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Checkpointer:
    """Copies committed WAL pages into the database file every ``interval`` seconds from a
    thread of its own. SQLite's automatic checkpoint runs inside whichever COMMIT crosses 1,000
    WAL pages, and its fsyncs took tens of ms on a busy disk: the event loop stood still.
    Commits are durable in the WAL either way; a PASSIVE checkpoint never blocks a writer."""

    def __init__(self, path: Path, interval: float = 0.5) -> None:
        self.path = path
        self.interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=10.0)
        try:
            while not self._stopped.wait(self.interval):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            log.warning("WAL checkpoints stopped for %s", self.path, exc_info=True)
        finally:
            conn.close()


class Database:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=10000")
        # Checkpoints (with their fsyncs) run in a thread, not inside a COMMIT on the event loop.
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self._lock = threading.RLock()
        self._depth = 0
        self._after_commit: list[Callable[[], None]] = []
        self._waiting: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self.migrate()
        self._checkpointer = Checkpointer(path)

    def close(self) -> None:
        self._checkpointer.stop()
        self.conn.close()

    @property
    def schema_version(self) -> int:
        """How many migration steps have run."""
        return int(self.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0])

    def migrate(self) -> None:
        with self.transaction():
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (name TEXT PRIMARY KEY, appliedAt TEXT NOT NULL)"
            )
            done = {row[0] for row in self.conn.execute("SELECT name FROM schema_migrations")}
            for name, statements in ALL:
                if name in done:
                    continue
                for statement in statements:
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT INTO schema_migrations (name, appliedAt) VALUES (?, ?)",
                    (name, now_iso()),
                )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested calls join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                self._after_commit.clear()
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0
            callbacks, self._after_commit = self._after_commit, []
            for callback in callbacks:
                callback()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: on an exception undo only this block (and its events)."""
        with self._lock:
            assert self._depth, "a savepoint needs an open transaction"
            callbacks = len(self._after_commit)
            self.conn.execute("SAVEPOINT action")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK TO action")
                del self._after_commit[callbacks:]
                raise
            finally:
                self.conn.execute("RELEASE action")

    async def commit_together(self, action: Callable[[], T]) -> T:
        """Run ``action`` in a write transaction shared with the other actions that arrive in
        the same event-loop turn, each in its own savepoint (a failure undoes only its own
        changes). Returns or raises once the shared transaction has committed: one COMMIT
        (one WAL write) for the whole group instead of one per request."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._waiting.append((action, future))
        if len(self._waiting) == 1:
            loop.call_soon(self._commit_waiting)
        return await future

    def _commit_waiting(self) -> None:
        group, self._waiting = self._waiting, []
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            with self.transaction():
                for action, future in group:
                    if future.cancelled():  # its request is gone: do not act on it
                        continue
                    try:
                        with self.savepoint():
                            outcomes.append((future, action(), None))
                    except Exception as exc:
                        outcomes.append((future, None, exc))
        except Exception as exc:  # the commit failed: nothing in the group happened
            outcomes = [(future, None, exc) for _, future in group]
        for future, result, error in outcomes:
            if future.cancelled():
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction commits (now, if there is none)."""
        with self._lock:
            if self._depth:
                self._after_commit.append(callback)
                return
        callback()

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Row | None:
        with self._lock:
            row = self.conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[Row]:
        with self._lock:
            return [dict(row) for row in self.conn.execute(sql, params).fetchall()]

    def scalar(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
        with self._lock:
            row = self.conn.execute(sql, params).fetchone()
        return row[0] if row is not None else None

    def insert(self, table: str, record: Row) -> Row:
        """Insert a record, stamping id/createdAt/updatedAt unless given."""
        stamp = now_iso()
        full = {"id": new_id(), "createdAt": stamp, "updatedAt": stamp, **record}
        columns = ", ".join(f'"{key}"' for key in full)
        marks = ", ".join("?" for _ in full)
        with self._lock:
            self.conn.execute(
                f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', tuple(full.values())
            )
        return full

    def update(self, table: str, row_id: str, changes: Row) -> None:
        full = {**changes, "updatedAt": now_iso()}
        assignments = ", ".join(f'"{key}" = ?' for key in full)
        with self._lock:
            self.conn.execute(
                f'UPDATE "{table}" SET {assignments} WHERE id = ?', (*full.values(), row_id)
            )

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> int:
        with self._lock:
            return self.conn.execute(sql, params).rowcount
