"""The PostgreSQL database: the same methods as the SQLite ``Database``, for several nodes.

- SQL stays SQLite's in the services; ``dialect.to_postgres`` rewrites it here (cached).
- Write transactions are serialised across every node by one transaction-level advisory
  lock taken at ``BEGIN``: the guarantee ``BEGIN IMMEDIATE`` gives on SQLite (a read-then-write
  sees the latest committed numbers and nobody writes in between), so the rules in
  ``backend/services`` (stock, vouchers, deadline claims) hold unchanged. Groups of
  row-locked actions (gifts: guarded balance updates, upserts, the battle's row locked before
  its scores are read; see ``Database.commit_together``) take that lock shared instead: they
  run beside each other's on every node, still never beside any other write transaction, and
  a deadlock between two of them rolls one back and runs it again.
  Reads outside a transaction take no lock.
- ``commit_together`` (gifts, orders: the hot path) runs each group of actions on a thread of
  its own with a connection of its own, so the event loop never waits on the network for it;
  the group's events are published and its requests answered on the loop after COMMIT. While
  one group commits the next one gathers, so groups grow with the load. Inside an action's
  savepoint, statements whose answers nobody reads (the SAVEPOINT itself, its RELEASE, an
  INSERT of rows stamped here, an UPDATE by id) wait and go out in front of the next statement
  that is read, in one round trip (``_Batch``); what the action wrote is confirmed before its
  savepoint ends, so an error is still its own.
- Each thread keeps one connection (autocommit, explicit BEGIN/COMMIT). An HTTP request runs
  in a portal (backend/storage/portal.py, installed by ``create_app`` on PostgreSQL): its reads
  run on a small pool of threads and its write transactions, one request at a time, on a
  thread of their own, while the event loop serves other requests. Code outside a request on
  the loop (WebSocket messages, timers) runs in a portal too: ``serve(coroutine)`` and
  ``call_later(delay, callback)``; ``soon(callback)`` moves work that would run on the loop
  outside a portal into one (the chat line about an order, after its group's COMMIT). What
  still runs on the loop outside any portal (start-up, shutdown) runs its statements in place
  on the loop thread's connection; ``off_loop(work)`` runs whole work on a pool of threads
  (WebSocket tickets).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.rows import dict_row

from backend.errors import InvalidInput
from backend.storage.db import Database, Group, Outcome, Params, _Transaction
from backend.storage.dialect import COMPAT_FUNCTIONS, to_postgres
from backend.storage.portal import (
    Portal,
    current_portal,
    finish_while,
    run_in_portal,
    wait,
    wait_for_thread,
)

T = TypeVar("T")
log = logging.getLogger(__name__)
# pg_advisory_xact_lock key of "the one writer at a time" (any constant; 'onair' in ASCII).
WRITE_LOCK = 0x6F6E616972
GROUP_ATTEMPTS = 5  # runs of a row-locked group that a deadlock keeps rolling back
# What undoes a whole transaction that may simply run again.
RETRYABLE = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)


class _BoolAsInteger(Dumper):
    """Flags are INTEGER columns (0/1), as on SQLite."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class _NumericAsNumber(Loader):
    """SUM over BIGINT is NUMERIC on PostgreSQL: give back an int (or a float), as SQLite does,
    never a Decimal the services and JSON would trip on."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        value = Decimal(text)
        return int(value) if value == value.to_integral_value() else float(value)


_SAVEPOINT_STEPS = ("SAVEPOINT action", "RELEASE SAVEPOINT action")


class _Batch:
    """Statements (bound here) a thread's connection sends in front of its next statement."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.sent = 0  # how many times statements went out: has a savepoint reached the server?
        self.savepoints = 0  # open savepoints of ``PostgresDatabase.savepoint``: writes may wait

    def holds_writes(self) -> bool:
        return any(statement not in _SAVEPOINT_STEPS for statement in self.statements)


class _ThreadConnection(threading.local):
    conn: psycopg.Connection[dict[str, Any]] | None = None
    tx: _Transaction | None = None
    collected: list[Callable[[], None]] | None = None  # callbacks for the loop (group thread)
    batch: _Batch | None = None


class PostgresDatabase(Database):
    engine = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = _ThreadConnection()
        self._connections: list[psycopg.Connection[dict[str, Any]]] = []
        self._connections_lock = threading.Lock()
        self._lock = _NoLock()
        self._waiting: Group = []
        self._group_running = False
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-commit")
        self._workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pg-work")
        # Requests (portals) on the event loop: reads on a pool, write transactions one at a
        # time on a thread (and connection) of their own.
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pg-read")
        self._write_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-write")
        self._writer: Portal | None = None  # the request in a write transaction
        self._writer_loop_thread: int | None = None
        self._writer_has_lock = False  # its BEGIN is done: it may hold row locks too
        self._turn_free: asyncio.Event | None = None
        self._timer_tasks: set[asyncio.Task[None]] = set()
        self.migrate()

    def close(self) -> None:
        for pool in (self._committer, self._workers, self._readers, self._write_thread):
            pool.shutdown(wait=True)
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        conn = self._local.conn
        if conn is None or conn.closed:
            conn = psycopg.connect(self.url, autocommit=True, row_factory=dict_row)
            conn.adapters.register_dumper(bool, _BoolAsInteger)
            conn.adapters.register_loader("numeric", _NumericAsNumber)
            with self._connections_lock:
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    def copy_rows(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        """Bulk-load ``rows`` with COPY (``onair admin migrate-to-postgres``)."""
        names = ", ".join(f'"{column}"' for column in columns)
        cursor = self._connection().cursor()
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def _state(self) -> _Transaction:
        portal = current_portal()
        if portal is not None:  # a request: its transaction is its own, not the loop thread's
            state: _Transaction = portal.locals.setdefault("tx", _Transaction())
            return state
        if self._local.tx is None:
            self._local.tx = _Transaction()
        return self._local.tx

    def _run(self, sql: str, params: Params) -> Any:
        """In a request (a portal), the statement runs on a thread and the event loop serves
        other requests meanwhile; elsewhere on this thread's connection."""
        refuse_nul(params)
        text = to_postgres(sql)
        if current_portal() is None:
            if self._writer_has_lock and text.lstrip()[:6].upper() != "SELECT":
                self._finish_suspended_writer()  # its row locks could hold this statement up
            return self._send(text, params)
        if not self._state().depth:
            return wait_for_thread(self._readers.submit(self._rows, text, params))
        try:
            return wait_for_thread(self._write_thread.submit(self._rows, text, params))
        finally:
            if text in ("COMMIT", "ROLLBACK"):
                self._give_up_turn()

    def _write(self, sql: str, params: Params) -> None:
        batch = self._batch()
        if current_portal() is not None or not batch.savepoints:
            self._run(sql, params)
            return
        refuse_nul(params)
        text = to_postgres(sql)
        if self._writer_has_lock:
            self._finish_suspended_writer()
        batch.statements.append(self._bound(text, params))

    def _batch(self) -> _Batch:
        if self._local.batch is None:
            self._local.batch = _Batch()
        return self._local.batch

    def _bound(self, sql: str, params: Params) -> str:
        """``sql`` with its parameters in it (as literals), to go out with other statements."""
        return psycopg.ClientCursor(self._connection()).mogrify(sql, params)

    def _send(self, sql: str, params: Params) -> Any:
        """Execute on this thread's connection, after what waits in its batch (one round
        trip: the batch and the statement go out as one simple query); the statement's
        cursor."""
        batch, conn = self._batch(), self._connection()
        if sql == "ROLLBACK":
            batch.statements.clear()  # what waits is undone anyway
        if not batch.statements:
            return conn.execute(sql, params)
        text = "; ".join([*batch.statements, self._bound(sql, params)])
        batch.statements.clear()
        batch.sent += 1
        try:
            cursor = conn.execute(text)
        except psycopg.Error:
            if sql == "COMMIT":  # it never ran: end the failed transaction here
                conn.execute("ROLLBACK")
            raise
        while cursor.nextset():  # to the last statement's answer
            pass
        return cursor

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A group's action (not in a portal): its SAVEPOINT and RELEASE wait in the batch;
        what it wrote is sent (and so confirmed) before the savepoint ends."""
        if current_portal() is not None:
            with super().savepoint():
                yield
            return
        state, batch = self._state(), self._batch()
        assert state.depth, "a savepoint needs an open transaction"
        callbacks, sent, mark = len(state.after_commit), batch.sent, len(batch.statements)
        batch.statements.append("SAVEPOINT action")
        batch.savepoints += 1
        try:
            yield
            batch.statements.append("RELEASE SAVEPOINT action")
            if batch.holds_writes():
                self._send("SELECT 1", ())
        except BaseException:
            del state.after_commit[callbacks:]
            if batch.sent == sent:  # nothing of it reached the server: nothing to undo there
                del batch.statements[mark:]
            else:
                batch.statements.clear()
                self._send("ROLLBACK TO SAVEPOINT action; RELEASE SAVEPOINT action", ())
            raise
        finally:
            batch.savepoints -= 1

    def _rows(self, sql: str, params: Params) -> _Rows:
        cursor = self._connection().execute(sql, params)
        return _Rows(cursor.fetchall() if cursor.description else [], cursor.rowcount)

    def _begin(self, row_locked: bool) -> None:
        # One round trip (simple query protocol: no parameters) for both statements.
        shared = "_shared" if row_locked else ""
        begin = f"BEGIN; SELECT pg_advisory_xact_lock{shared}({WRITE_LOCK})"
        portal = current_portal()
        if portal is not None:
            self._take_turn(portal)
            try:
                wait_for_thread(self._write_thread.submit(self._rows, begin, ()))
            except BaseException:
                self._give_up_turn()
                raise
            self._writer_has_lock = True
            return
        self._finish_suspended_writer()
        self._connection().execute(begin)

    def _retryable(self, error: Exception) -> bool:
        return isinstance(error, RETRYABLE)

    def _row_lock(self, sql: str) -> str:
        return f"{sql} FOR UPDATE"

    async def serve(self, work: Coroutine[Any, Any, T]) -> T:
        return await run_in_portal(work)

    def _timer_fired(self, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
        task = asyncio.ensure_future(_called_in_portal(callback, args))
        self._timer_tasks.add(task)
        task.add_done_callback(self._timer_done)

    def soon(self, callback: Callable[[], object]) -> None:
        if current_portal() is None and _on_a_loop():
            self._timer_fired(callback, ())
        else:  # in a request (its statements already wait off the loop), or on a thread
            callback()

    def _timer_done(self, task: asyncio.Task[None]) -> None:
        self._timer_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("timer callback failed", exc_info=task.exception())

    async def timers_finished(self) -> None:
        await asyncio.gather(*self._timer_tasks, return_exceptions=True)

    def _finish_suspended_writer(self) -> None:
        """A write on the loop outside any portal (a shutdown flush) while a request,
        suspended, holds or waits for the write lock (or holds rows the write changes): the
        loop cannot resume the request while this waits for it, so the request is resumed
        here up to its COMMIT. (Reads wait for no lock: they go ahead.)"""
        if self._writer is not None and self._writer_loop_thread == threading.get_ident():
            finish_while(lambda: self._writer)

    def _take_turn(self, portal: Portal) -> None:
        """One request of this node at a time in a write transaction (the others wait here,
        not in the database, and the loop serves everyone meanwhile)."""
        while self._writer is not None:
            if self._turn_free is None:
                self._turn_free = asyncio.Event()
            wait(self._turn_free.wait())
        self._writer = portal
        self._writer_loop_thread = threading.get_ident()
        if self._turn_free is not None:
            self._turn_free.clear()

    def _give_up_turn(self) -> None:
        self._writer = None
        self._writer_has_lock = False
        if self._turn_free is not None:
            self._turn_free.set()

    def _migration_setup(self) -> None:
        for statement in COMPAT_FUNCTIONS:
            self._connection().execute(statement)

    def _committed(self, callbacks: list[Callable[[], None]]) -> None:
        """After COMMIT: on the group thread, hand the callbacks to the loop (they publish to
        the hub, which lives there); anywhere else run them now, as SQLite does."""
        if self._local.collected is not None:
            self._local.collected.extend(callbacks)
            return
        super()._committed(callbacks)

    def _start_group(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._group_running:
            return  # the running group starts the next one when it is settled
        self._group_running = True
        loop.call_soon(self._submit_group, loop)  # what arrives in this loop turn joins

    def _submit_group(self, loop: asyncio.AbstractEventLoop) -> None:
        group, self._waiting = self._waiting, []
        self._committer.submit(self._commit_in_thread, group, loop)

    async def off_loop(self, work: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._workers, self._work_in_thread, work, loop)

    def _work_in_thread(self, work: Callable[[], T], loop: asyncio.AbstractEventLoop) -> T:
        """``work`` on a worker thread; what it publishes after COMMIT goes out on the loop
        (scheduled before the caller resumes)."""
        self._local.collected = []
        try:
            return work()
        finally:
            callbacks, self._local.collected = self._local.collected, None
            if callbacks:
                loop.call_soon_threadsafe(super()._committed, callbacks)

    def _commit_in_thread(self, group: Group, loop: asyncio.AbstractEventLoop) -> None:
        self._local.collected = []
        try:
            outcomes = self._run_group_until_done(group)
            callbacks = self._local.collected
        except BaseException as exc:  # even a failing group must answer its requests
            outcomes = [(future, None, exc) for _, future, _ in group]
            callbacks = []
        finally:
            self._local.collected = None
        loop.call_soon_threadsafe(self._finish_group, callbacks, outcomes, loop)

    def _run_group_until_done(self, group: Group) -> list[Outcome]:
        """``_run_group``, run again (after a short random pause, so the two sides of a
        deadlock do not meet again) when a deadlock rolled it back."""
        for attempt in range(1, GROUP_ATTEMPTS):
            try:
                return self._run_group(group)
            except RETRYABLE:
                log.info("a row-locked group was rolled back (deadlock); running it again")
                time.sleep(random.uniform(0.001, 0.02) * attempt)
        return self._run_group(group)  # the last run: its failure answers the requests

    def _finish_group(
        self,
        callbacks: list[Callable[[], None]],
        outcomes: list[Outcome],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """On the loop: publish the group's events, answer its requests, start the next."""
        super()._committed(callbacks)
        self._settle(outcomes)
        self._group_running = False
        if self._waiting:
            self._start_group(loop)


async def _called_in_portal(callback: Callable[..., object], args: tuple[Any, ...]) -> None:
    # The inner coroutine is made only once the task runs: a task cancelled before its first
    # step (its loop closing) would leave one made beforehand never awaited.
    await run_in_portal(_called(callback, args))


async def _called(callback: Callable[..., object], args: tuple[Any, ...]) -> None:
    callback(*args)


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def refuse_nul(params: Params) -> None:
    """PostgreSQL text cannot hold U+0000 (SQLite stores it): say so instead of failing (500)."""
    values = params.values() if isinstance(params, dict) else params
    if any(isinstance(value, str) and "\x00" in value for value in values):
        raise InvalidInput("Text cannot contain the NUL character (U+0000).", code="nul_character")


class _Rows:
    """A statement's rows, fetched on the thread that ran it (what ``Database`` reads of a
    cursor)."""

    def __init__(self, rows: list[dict[str, Any]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> dict[str, Any] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[dict[str, Any]]:
        return self._rows


class _NoLock:
    """Each thread has a connection of its own: nothing to serialise in this process."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
