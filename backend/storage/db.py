"""The SQLite database: one connection per process, WAL mode, explicit write transactions.

Every read-then-write runs inside ``transaction()``, which takes ``BEGIN IMMEDIATE`` so a
second writer (another worker process) waits instead of reading stale numbers.
``commit_together()`` lets concurrent requests share one transaction and one commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from backend.storage.schema import ALL

Row = dict[str, Any]
Params = tuple[Any, ...] | dict[str, Any]
T = TypeVar("T")
Serve = Callable[[Coroutine[Any, Any, None]], Awaitable[None]]  # ``Database.serve``
log = logging.getLogger(__name__)
INSERT_ROWS = 500  # rows per INSERT statement: well within both engines' parameter limits


@lru_cache(maxsize=512)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    """The INSERT statement of ``insert_many`` (built once per table, columns and row count)."""
    names = ", ".join(f'"{column}"' for column in columns)
    values = ", ".join([f"({', '.join('?' for _ in columns)})"] * rows)
    return f'INSERT INTO "{table}" ({names}) VALUES {values}'


class _TimeOrderedIds:
    """UUIDv7 strings (RFC 9562): the millisecond, then 74 random bits from one ``os.urandom``
    call per 256 ids (a syscall each is costly here). Rows written together sit together in
    their table's primary-key index; a random UUID4 put each new row in a random B-tree page,
    which made a ledger insert cost about twice the CPU (and its commit more dirty pages)."""

    BLOCK = 256

    def __init__(self) -> None:
        self._pool: Iterator[bytes] = iter(())

    def next(self) -> str:
        raw = next(self._pool, None)
        if raw is None:
            block = os.urandom(10 * self.BLOCK)
            self._pool = iter([block[i : i + 10] for i in range(0, len(block), 10)])
            raw = next(self._pool)
        uid = bytearray((time.time_ns() // 1_000_000).to_bytes(6, "big") + raw)
        uid[6] = uid[6] & 0x0F | 0x70  # version 7
        uid[8] = uid[8] & 0x3F | 0x80  # RFC 9562 variant
        text = uid.hex()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


new_id = _TimeOrderedIds().next


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


class _Transaction:
    """One connection's transaction state: how deep ``transaction()`` calls are nested and
    what to run once the outermost one commits."""

    def __init__(self) -> None:
        self.depth = 0
        self.after_commit: list[Callable[[], None]] = []


# (action, its request's future, whether it is row-locked: see ``commit_together``)
Group = list[tuple[Callable[[], Any], "asyncio.Future[Any]", bool]]
Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


class Database:
    """The SQLite database (the embedded default). ``PostgresDatabase`` (storage/postgres.py)
    offers the same methods over PostgreSQL by overriding the hooks marked below."""

    engine = "sqlite"

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
        self._lock: contextlib.AbstractContextManager[Any] = threading.RLock()
        self._tx = _Transaction()
        self._waiting: Group = []
        self.migrate()
        self._checkpointer = Checkpointer(path)

    def close(self) -> None:
        self._checkpointer.stop()
        self.conn.close()

    # -- hooks an engine overrides ----------------------------------------------------------

    def _state(self) -> _Transaction:
        """The transaction state of the connection this thread uses."""
        return self._tx

    def _run(self, sql: str, params: Params) -> Any:
        """Execute one statement; returns a DB-API cursor."""
        return self.conn.execute(sql, params)

    def _write(self, sql: str, params: Params) -> None:
        """Execute a statement whose answer nobody reads (an INSERT of rows stamped here, an
        UPDATE by id). PostgreSQL may send it with the next statement, in one round trip."""
        self._run(sql, params)

    def _begin(self, row_locked: bool) -> None:
        """Open a write transaction that no other writer's can interleave with; a
        ``row_locked`` one may run beside other row-locked ones (PostgreSQL) where the engine
        has row locks. SQLite has one writer: ``BEGIN IMMEDIATE`` either way."""
        self._run("BEGIN IMMEDIATE", ())

    def _retryable(self, error: Exception) -> bool:
        """Whether ``error`` undoes a whole transaction that may simply run again (a deadlock
        between row-locked transactions on PostgreSQL); never on SQLite's one writer."""
        return False

    def _row_lock(self, sql: str) -> str:
        """``sql`` (a SELECT) made to lock the rows it reads until COMMIT: SQLite's write
        transaction holds the whole database already."""
        return sql

    def _migration_setup(self) -> None:
        """Engine-specific steps before the migrations (inside their transaction)."""

    def _committed(self, callbacks: list[Callable[[], None]]) -> None:
        for callback in callbacks:
            callback()

    def _start_group(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.call_soon(self._commit_waiting)

    # ----------------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """How many migration steps have run."""
        return int(self.scalar("SELECT COUNT(*) FROM schema_migrations"))

    def migrate(self) -> None:
        with self.transaction():
            self._migration_setup()
            self.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (name TEXT PRIMARY KEY, appliedAt TEXT NOT NULL)"
            )
            done = {row["name"] for row in self.all("SELECT name FROM schema_migrations")}
            for name, statements in ALL:
                if name in done:
                    continue
                for statement in statements:
                    self.execute(statement)
                self.execute(
                    "INSERT INTO schema_migrations (name, appliedAt) VALUES (?, ?)",
                    (name, now_iso()),
                )

    @contextmanager
    def transaction(self, row_locked: bool = False) -> Iterator[None]:
        """A write transaction; nested calls join the outer one. ``row_locked``: see
        ``commit_together``."""
        with self._lock:
            state = self._state()
            if state.depth:
                state.depth += 1
                try:
                    yield
                finally:
                    state.depth -= 1
                return
            self._begin(row_locked)
            state.depth = 1
            try:
                yield
            except BaseException:
                self._run("ROLLBACK", ())
                state.after_commit.clear()
                raise
            else:
                self._run("COMMIT", ())
            finally:
                state.depth = 0
            callbacks, state.after_commit = state.after_commit, []
            self._committed(callbacks)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: on an exception undo only this block (and its events)."""
        with self._lock:
            state = self._state()
            assert state.depth, "a savepoint needs an open transaction"
            callbacks = len(state.after_commit)
            self._run("SAVEPOINT action", ())
            try:
                yield
            except BaseException:
                self._run("ROLLBACK TO SAVEPOINT action", ())
                del state.after_commit[callbacks:]
                raise
            finally:
                self._run("RELEASE SAVEPOINT action", ())

    async def commit_together(self, action: Callable[[], T], row_locked: bool = False) -> T:
        """Run ``action`` in a write transaction shared with the other actions that arrive in
        the same event-loop turn, each in its own savepoint (a failure undoes only its own
        changes). Returns or raises once the shared transaction has committed: one COMMIT
        (one WAL write) for the whole group instead of one per request.

        ``row_locked``: ``action`` keeps its rules with row locks alone (guarded updates,
        upserts, ``one_for_update`` before a read-then-write), so on PostgreSQL a group of
        such actions runs beside other nodes' such groups instead of one writer at a time
        (every other write transaction still runs alone). It may then run more than once: a
        deadlock between such groups rolls one back and runs it again."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._waiting.append((action, future, row_locked))
        if len(self._waiting) == 1:
            self._start_group(loop)
        return await future

    async def off_loop(self, work: Callable[[], T]) -> T:
        """Run ``work`` (database calls) where it does not stall the event loop: a request
        that must not wait behind the network (a WebSocket connection storm) uses this. SQLite
        is a local file: here it runs at once; PostgreSQL runs it on a thread of its own and
        publishes its events on the loop before returning."""
        return work()

    async def serve(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` (a WebSocket message's handling, a timer's task) so that its statements
        do not stall the event loop. SQLite is a local file: it runs as it is; PostgreSQL runs
        it in a portal, as it runs every HTTP request."""
        return await work

    def call_later(
        self, delay: float, callback: Callable[..., object], *args: Any
    ) -> asyncio.TimerHandle:
        """``loop.call_later`` for a callback that uses the database (RuntimeError with no
        running loop, as there). On PostgreSQL the callback runs in a portal of its own."""
        return asyncio.get_running_loop().call_later(delay, self._timer_fired, callback, args)

    def _timer_fired(self, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
        callback(*args)

    def soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` (database work) now, or, where that would stall the event loop on
        the network (PostgreSQL, on the loop outside a portal: after a group's COMMIT), in a
        portal of its own at once. SQLite runs it now."""
        callback()

    async def timers_finished(self) -> None:
        """Wait for timer callbacks still running (the database closes next)."""

    def _commit_waiting(self) -> None:
        group, self._waiting = self._waiting, []
        self._settle(self._run_group(group))

    def _run_group(self, group: Group) -> list[Outcome]:
        """Every action of ``group`` in one transaction, each in its own savepoint. A
        retryable error (``_retryable``) rolls the whole group back and is raised."""
        outcomes: list[Outcome] = []
        try:
            with self.transaction(row_locked=all(locked for _, _, locked in group)):
                for action, future, _ in group:
                    if future.cancelled():  # its request is gone: do not act on it
                        continue
                    try:
                        with self.savepoint():  # its end may still fail (PostgreSQL's batch)
                            result = action()
                    except Exception as exc:
                        if self._retryable(exc):
                            raise
                        outcomes.append((future, None, exc))
                    else:
                        outcomes.append((future, result, None))
        except Exception as exc:  # the commit failed: nothing in the group happened
            if self._retryable(exc):
                raise
            outcomes = [(future, None, exc) for _, future, _ in group]
        return outcomes

    @staticmethod
    def _settle(outcomes: list[Outcome]) -> None:
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
            state = self._state()
            if state.depth:
                state.after_commit.append(callback)
                return
        self._committed([callback])

    def one(self, sql: str, params: Params = ()) -> Row | None:
        with self._lock:
            row = self._run(sql, params).fetchone()
        return dict(row) if row is not None else None

    def one_for_update(self, sql: str, params: Params = ()) -> Row | None:
        """``one`` for a row this transaction reads and then changes: locked until COMMIT on
        PostgreSQL, so a row-locked transaction of another node waits to read it."""
        return self.one(self._row_lock(sql), params)

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        with self._lock:
            return [dict(row) for row in self._run(sql, params).fetchall()]

    def scalar(self, sql: str, params: Params = ()) -> Any:
        with self._lock:
            row = self._run(sql, params).fetchone()
        if row is None:
            return None
        return next(iter(row.values())) if isinstance(row, dict) else row[0]

    def insert(self, table: str, record: Row) -> Row:
        """Insert a record, stamping id/createdAt/updatedAt unless given."""
        return self.insert_many(table, [record])[0]

    def insert_many(self, table: str, records: Sequence[Row]) -> list[Row]:
        """Insert records that have the same keys in one statement, stamped like ``insert``."""
        stamp = now_iso()
        full = [{"id": new_id(), "createdAt": stamp, "updatedAt": stamp, **r} for r in records]
        if not full:
            return full
        columns = tuple(full[0])
        with self._lock:
            for start in range(0, len(full), INSERT_ROWS):
                chunk = full[start : start + INSERT_ROWS]
                values = tuple(value for record in chunk for value in record.values())
                self._write(_insert_sql(table, columns, len(chunk)), values)
        return full

    def update(self, table: str, row_id: str, changes: Row) -> None:
        full = {**changes, "updatedAt": now_iso()}
        assignments = ", ".join(f'"{key}" = ?' for key in full)
        with self._lock:
            self._write(
                f'UPDATE "{table}" SET {assignments} WHERE id = ?', (*full.values(), row_id)
            )

    def write(self, sql: str, params: Params = ()) -> None:
        """``execute`` for a statement whose row count nobody reads: inside a group's action,
        PostgreSQL sends it with the next statement (``_write``)."""
        with self._lock:
            self._write(sql, params)

    def execute(self, sql: str, params: Params = ()) -> int:
        with self._lock:
            return int(self._run(sql, params).rowcount)
