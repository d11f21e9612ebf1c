"""The PostgreSQL engine itself (backend/storage/postgres.py): what the services assume of
``Database`` holds across processes, and the hot path leaves the event loop free."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from backend.errors import Conflict, InvalidInput
from backend.services.scheduler import Scheduler
from backend.storage.db import utc_now
from backend.storage.portal import run_in_portal
from backend.storage.postgres import WRITE_LOCK, PostgresDatabase
from backend.storage.schema import STAMPS
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.backend.test_chat import chat
from tests.backend.test_live_shopping import live_session, product
from tests.engines import PostgresCluster
from tests.servers import make_settings, running_server
from wire.events import battle_room, stream_room

pytestmark = pytest.mark.one_engine


@pytest.fixture
def url(postgres_cluster: PostgresCluster) -> str:
    return postgres_cluster.fresh_database()


@pytest.fixture
def db(url: str) -> Iterator[PostgresDatabase]:
    database = PostgresDatabase(url)
    database.execute(f"CREATE TABLE notes ({STAMPS}, body TEXT NOT NULL)")
    try:
        yield database
    finally:
        database.close()


def test_read_then_write_is_serialised_across_nodes(url: str) -> None:
    """Two databases (as two nodes would hold) and 40 threads buying from a stock of 10: the
    transaction's write lock makes the check and the decrement one step, as on SQLite."""
    nodes = [PostgresDatabase(url), PostgresDatabase(url)]
    nodes[0].execute("CREATE TABLE stock (id TEXT PRIMARY KEY, unitsLeft INTEGER NOT NULL)")
    nodes[0].execute("INSERT INTO stock (id, unitsLeft) VALUES ('p', 10)")

    def buy(n: int) -> bool:
        db = nodes[n % 2]
        with db.transaction():
            left = db.scalar("SELECT unitsLeft FROM stock WHERE id = 'p'")
            if left <= 0:
                return False
            db.execute("UPDATE stock SET unitsLeft = ? WHERE id = 'p'", (left - 1,))
            return True

    with ThreadPoolExecutor(8) as pool:
        bought = list(pool.map(buy, range(40)))
    assert sum(bought) == 10
    assert nodes[1].scalar("SELECT unitsLeft FROM stock") == 0
    for node in nodes:
        node.close()


async def test_a_group_commits_off_the_loop_and_answers_after_its_events(
    db: PostgresDatabase, url: str
) -> None:
    order: list[str] = []
    loop_thread = threading.get_ident()

    def action(n: int) -> int:
        assert threading.get_ident() != loop_thread  # the network round trips are not here
        db.insert("notes", {"id": f"n{n}", "body": "x"})
        db.after_commit(lambda: order.append(f"event {n}"))
        if n == 2:
            raise Conflict("no")
        return n

    async def ask(n: int) -> None:
        try:
            await db.commit_together(lambda: action(n))
        except Conflict:
            order.append(f"refused {n}")
        else:
            order.append(f"answer {n}")

    # Another node holds the write lock: the group waits for it, the loop does not.
    blocker = psycopg.connect(url, autocommit=True)
    blocker.execute("BEGIN")
    blocker.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
    asks = asyncio.gather(*(ask(n) for n in range(4)))
    for _ in range(20):
        await asyncio.sleep(0.01)  # the loop keeps running while the commit waits
    assert order == []
    blocker.execute("COMMIT")
    blocker.close()
    await asks
    assert sorted(db.scalar("SELECT COUNT(*) FROM notes WHERE id = ?", (f"n{n}",)) for n in
                  range(4)) == [0, 1, 1, 1]  # fmt: skip
    events = [entry for entry in order if entry.startswith("event")]
    assert events == ["event 0", "event 1", "event 3"]  # the refused one sent nothing
    assert order.index("event 3") < order.index("answer 0")  # events go out before answers


async def test_groups_that_arrive_while_one_commits_form_the_next_group(
    db: PostgresDatabase,
) -> None:
    results = await asyncio.gather(
        *(db.commit_together(lambda n=n: db.insert("notes", {"body": str(n)})) for n in range(50))
    )
    assert len(results) == 50
    assert db.scalar("SELECT COUNT(*) FROM notes") == 50


async def test_row_locked_groups_of_two_nodes_run_side_by_side_and_alone_beside_others(
    db: PostgresDatabase, url: str
) -> None:
    """Node A's group of gifts (row-locked) is open: node B's commits meanwhile; a write
    transaction that is not row-locked (an order: stock, vouchers) waits for A's to end."""
    other_node = PostgresDatabase(url)
    inside, release = threading.Event(), threading.Event()

    def held_open() -> None:
        db.insert("notes", {"body": "a"})
        inside.set()
        assert release.wait(30)

    held = asyncio.ensure_future(db.commit_together(held_open, row_locked=True))
    await asyncio.to_thread(inside.wait, 30)
    beside = other_node.commit_together(
        lambda: other_node.insert("notes", {"body": "b"}), row_locked=True
    )
    await asyncio.wait_for(beside, 30)
    alone = asyncio.ensure_future(
        other_node.commit_together(lambda: other_node.insert("notes", {"body": "c"}))
    )
    await asyncio.wait_for(until_a_query_waits_on_a_lock(url), 30)
    assert not alone.done()
    assert other_node.all("SELECT body FROM notes") == [{"body": "b"}]
    release.set()
    await asyncio.wait_for(asyncio.gather(held, alone), 30)
    assert sorted(row["body"] for row in db.all("SELECT body FROM notes")) == ["a", "b", "c"]
    other_node.close()


async def test_a_deadlock_between_row_locked_groups_runs_one_of_them_again(
    db: PostgresDatabase, url: str
) -> None:
    """Two nodes' groups lock two rows in opposite orders: PostgreSQL rolls one back
    (deadlock detected) and that group runs again after the other commits; both requests are
    answered, neither sees the error, and each change happens once."""
    other_node = PostgresDatabase(url)
    db.execute("CREATE TABLE counters (id TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    db.execute("INSERT INTO counters (id, n) VALUES ('x', 0), ('y', 0)")
    each_holds_one = threading.Barrier(2, timeout=30)
    runs: list[str] = []

    def bump(node: PostgresDatabase, first: str, second: str) -> Callable[[], str]:
        def action() -> str:
            runs.append(first)
            node.execute("UPDATE counters SET n = n + 1 WHERE id = ?", (first,))
            if len(runs) <= 2:  # the first run of each: both hold their first row
                each_holds_one.wait()
            node.execute("UPDATE counters SET n = n + 1 WHERE id = ?", (second,))
            return first

        return action

    answers = await asyncio.wait_for(
        asyncio.gather(
            db.commit_together(bump(db, "x", "y"), row_locked=True),
            other_node.commit_together(bump(other_node, "y", "x"), row_locked=True),
        ),
        60,
    )
    assert answers == ["x", "y"]
    assert len(runs) == 3  # one group ran again
    assert db.all("SELECT id, n FROM counters ORDER BY id") == [
        {"id": "x", "n": 2},
        {"id": "y", "n": 2},
    ]
    other_node.close()


def test_deadlines_fire_once_when_every_node_runs_the_scheduler(url: str) -> None:
    """Three nodes' schedulers race over the same due deadlines; one node died before they
    fell due and the others take its share. Each handler's effect happens exactly once: the
    deadline's DELETE is the claim, in the handler's own write transaction."""
    nodes = [PostgresDatabase(url) for _ in range(3)]
    nodes[0].execute("CREATE TABLE endings (refId TEXT PRIMARY KEY, times INTEGER NOT NULL)")
    schedulers = []
    for db in nodes:
        scheduler = Scheduler(db)
        scheduler.on("end", lambda ref, db=db: count_ending(db, ref))
        schedulers.append(scheduler)
    refs = [f"battle-{n}" for n in range(30)]
    for n, ref in enumerate(refs):
        schedulers[n % 3].schedule("end", ref, utc_now() - timedelta(seconds=1))
    nodes[0].close()  # this node dies; its deadlines are in the database, not in its memory

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda s: s.run_due(), [schedulers[1], schedulers[2]] * 2))
    endings = nodes[1].all("SELECT refId, times FROM endings ORDER BY refId")
    assert endings == [{"refId": ref, "times": 1} for ref in sorted(refs)]
    assert nodes[2].scalar("SELECT COUNT(*) FROM deadlines") == 0
    for db in nodes[1:]:
        db.close()


def count_ending(db: PostgresDatabase, ref: str) -> None:
    db.execute(
        "INSERT INTO endings (refId, times) VALUES (?, 1)"
        " ON CONFLICT (refId) DO UPDATE SET times = times + 1",
        (ref,),
    )


async def test_off_loop_work_runs_on_a_thread_and_publishes_on_the_loop(
    db: PostgresDatabase,
) -> None:
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def work() -> str:
        threads.append(threading.get_ident())
        with db.transaction():
            row = db.insert("notes", {"body": "x"})
            db.after_commit(lambda: threads.append(threading.get_ident()))
        return str(row["id"])

    note = await db.off_loop(work)
    assert threads[0] != loop_thread  # the round trips were not on the loop
    assert threads[1:] == [loop_thread]  # the event went out on the loop, before the answer
    assert db.scalar("SELECT body FROM notes WHERE id = ?", (note,)) == "x"


def test_text_with_a_nul_character_is_refused_with_a_message(db: PostgresDatabase) -> None:
    with pytest.raises(InvalidInput, match="NUL"):
        db.insert("notes", {"body": "a\x00b"})
    assert db.scalar("SELECT COUNT(*) FROM notes") == 0


async def test_a_request_waiting_on_the_database_holds_up_no_other_request(
    url: str, tmp_path: Path
) -> None:
    """The filter catalog's read waits behind a lock another client holds on its table; the
    health check (another table) answers meanwhile: the loop was not stuck in the first read."""
    with running_server(make_settings(tmp_path / "unused.sqlite3", database_url=url)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            viewer = await register(client)
            locker = await psycopg.AsyncConnection.connect(url)
            try:
                await locker.execute("LOCK TABLE stream_filters IN ACCESS EXCLUSIVE MODE")
                slow = asyncio.create_task(viewer.call("GET", "/api/stream-filters"))
                await until_a_query_waits_on_a_lock(url)
                health = await client.get("/api/health")
                assert health.status_code == 200, health.text
                assert (await viewer.call("GET", "/api/auth/me")).status_code == 200
                assert not slow.done()
            finally:
                await locker.rollback()
                await locker.close()
            answer = await slow
            assert answer.status_code == 200 and answer.json()["data"], answer.text


async def test_a_write_waiting_for_the_write_lock_holds_up_no_other_request(
    url: str, tmp_path: Path
) -> None:
    """Another node holds the write lock: a top-up waits for it, reads and the health check
    answer meanwhile, and the top-up lands once the lock is free."""
    with running_server(make_settings(tmp_path / "unused.sqlite3", database_url=url)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            user = await register(client)
            blocker = await psycopg.AsyncConnection.connect(url, autocommit=True)
            try:
                await blocker.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
                topup = asyncio.create_task(
                    user.call("POST", "/api/wallet/topup", json={"coins": 40})
                )
                await until_a_query_waits_on_a_lock(url)
                assert (await client.get("/api/health")).status_code == 200
                assert (await user.data("GET", "/api/wallet"))["coins"] == 0
                assert not topup.done()
            finally:
                await blocker.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
                await blocker.close()
            assert (await topup).status_code == 200
            assert (await user.data("GET", "/api/wallet"))["coins"] == 40


async def test_a_timers_write_on_the_loop_lets_a_suspended_request_commit_first(
    db: PostgresDatabase, url: str
) -> None:
    """A request in a write transaction waits on the network (a table lock here) holding the
    write lock; a timer on the loop writes meanwhile. The timer cannot wait for the loop to
    resume the request: it resumes it itself, the request commits, then the timer writes."""
    timer_started = threading.Event()

    def hold_the_table(locked: threading.Event) -> None:
        with psycopg.connect(url) as conn:
            conn.execute("LOCK TABLE notes IN ACCESS EXCLUSIVE MODE")
            locked.set()
            timer_started.wait(60)
            conn.commit()

    async def request() -> None:
        with db.transaction():
            db.insert("notes", {"body": "request"})  # waits for the table lock
            db.insert("notes", {"body": "request again"})

    def timer() -> None:
        timer_started.set()
        with db.transaction():
            db.insert("notes", {"body": "timer"})

    locked = threading.Event()
    holder = threading.Thread(target=hold_the_table, args=(locked,))
    holder.start()
    await asyncio.to_thread(locked.wait, 60)
    answered = asyncio.create_task(run_in_portal(request()))
    await until_a_query_waits_on_a_lock(url)
    asyncio.get_running_loop().call_soon(timer)
    await answered
    await asyncio.to_thread(holder.join, 60)
    bodies = db.all("SELECT body FROM notes ORDER BY createdAt, body")
    assert [row["body"] for row in bodies][-1] == "timer"
    assert sorted(row["body"] for row in bodies) == ["request", "request again", "timer"]


async def test_a_websocket_message_waiting_on_the_database_holds_up_no_other(
    url: str, tmp_path: Path
) -> None:
    """A join's room check reads the battles table, locked by another client: another
    connection's join (a read of another table) and an HTTP request are answered meanwhile,
    and the stuck join gets its answer once the lock is gone."""
    with running_server(make_settings(tmp_path / "unused.sqlite3", database_url=url)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            host, fan = await register(client), await register(client)
            async with (
                Listener(live.ws_url, fan.token) as stuck,
                Listener(live.ws_url, host.token) as other,
            ):
                locker = await psycopg.AsyncConnection.connect(url)
                try:
                    await locker.execute("LOCK TABLE pk_battles IN ACCESS EXCLUSIVE MODE")
                    joining = asyncio.create_task(stuck.join(battle_room("no-such-battle")))
                    await until_a_query_waits_on_a_lock(url)
                    joined = await other.join(stream_room(host.username))
                    assert joined["event"] == "joined", joined
                    assert (await client.get("/api/health")).status_code == 200
                    assert not joining.done()
                finally:
                    await locker.rollback()
                    await locker.close()
                refused = await joining
                assert refused["data"]["code"] == "forbidden_room", refused


async def test_a_timer_waiting_on_the_database_holds_up_no_request(
    url: str, tmp_path: Path
) -> None:
    """Likes are written by a timer; their table is locked against writes by another client.
    The timer's write waits, reads and the health check answer meanwhile, and the likes land
    once the lock is gone."""
    # Media on another server: this backend takes likes without seeing the stream live.
    settings = make_settings(
        tmp_path / "unused.sqlite3",
        database_url=url,
        whep_url_template="https://media.example/whep/{stream}",
    )
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            streamer, fan = await register(client), await register(client)
            details = f"/api/streams/{streamer.username}"
            locker = await psycopg.AsyncConnection.connect(url)
            try:
                await locker.execute("LOCK TABLE stream_details IN EXCLUSIVE MODE")  # reads pass
                liked = await fan.data("POST", f"{details}/likes", json={"count": 3})
                assert liked["accepted"] == 3
                await until_a_query_waits_on_a_lock(url)  # the timer's write
                assert (await client.get("/api/health")).status_code == 200
                assert (await fan.data("GET", "/api/auth/me"))["username"] == fan.username
            finally:
                await locker.rollback()
                await locker.close()
            while (await fan.data("GET", details))["likes"] != 3:
                await asyncio.sleep(0.05)


def test_a_timer_that_fires_as_its_loop_closes_leaves_nothing_unawaited(
    db: PostgresDatabase,
) -> None:
    """A timer's task cancelled before its first step (the loop closing: a server stopping, a
    test ending) had made its callback's coroutine already, never awaited, and Python warned."""
    fired: list[int] = []

    async def fire_then_close() -> None:
        db.soon(lambda: fired.append(1))  # its task would start on the next turn
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()  # as a closing loop does (asyncio.run's end)
        await asyncio.sleep(0)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(fire_then_close())
        gc.collect()
    assert fired == []
    assert not [w for w in caught if "never awaited" in str(w.message)], caught


async def test_an_orders_chat_line_waiting_on_the_database_holds_up_no_answer(
    url: str, tmp_path: Path
) -> None:
    """An order commits in a group on a thread; its chat line is written after the COMMIT, and
    the chat's table is locked against writes by another client. The order is answered and the
    health check too while the line waits; the line lands once the lock is gone."""
    with running_server(make_settings(tmp_path / "unused.sqlite3", database_url=url)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            seller, buyer = await register(client), await register(client, coins=100)
            cap = await product(seller, price=20, name="Cap")
            orders = f"/api/live-shopping/{(await live_session(seller, cap))['id']}/orders"
            locker = await psycopg.AsyncConnection.connect(url)
            try:
                await locker.execute("LOCK TABLE chat_messages IN EXCLUSIVE MODE")  # reads pass
                ordered = await buyer.call("POST", orders, json={"productId": cap["id"]})
                assert ordered.status_code == 201, ordered.text
                await until_a_query_waits_on_a_lock(url)  # the chat line's write
                assert (await client.get("/api/health")).status_code == 200
            finally:
                await locker.rollback()
                await locker.close()
            line = f"{buyer.username} ordered 1× Cap"
            while line not in await system_lines(seller, "order"):
                await asyncio.sleep(0.05)


async def system_lines(host: ApiUser, kind: str) -> list[str]:
    page = await host.data("GET", chat(host))
    return [m["text"] for m in page["messages"] if m["system"] == kind]


async def until_a_query_waits_on_a_lock(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as watcher:
        while True:
            cursor = await watcher.execute(
                "SELECT COUNT(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            row = await cursor.fetchone()
            if row is not None and row[0]:
                return
            await asyncio.sleep(0.05)


def test_a_savepoints_unread_statements_ride_with_the_next_one(
    db: PostgresDatabase, tmp_path: Path
) -> None:
    """A group's action: its SAVEPOINT, its INSERT and its RELEASE cost no round trip of their
    own (BEGIN; SAVEPOINT + INSERT + SELECT; RELEASE + COMMIT: three instead of six)."""
    db.one("SELECT 1")  # this thread's connection, opened
    conn = db._connection()
    trace = tmp_path / "trace"
    with trace.open("w") as out:
        conn.pgconn.trace(out.fileno())
        conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        with db.transaction(), db.savepoint():
            db.insert("notes", {"id": "n", "body": "x"})
            assert db.one("SELECT body FROM notes WHERE id = ?", ("n",)) == {"body": "x"}
        conn.pgconn.untrace()
    sent = [line.split("\t")[2] for line in trace.read_text().splitlines() if line[:2] == "F\t"]
    assert sum(message in ("Query", "Sync") for message in sent) == 3
    assert db.all("SELECT id FROM notes") == [{"id": "n"}]


async def test_an_unread_insert_that_fails_fails_its_own_action_only(db: PostgresDatabase) -> None:
    db.insert("notes", {"id": "taken", "body": "x"})

    def action(n: int) -> int:
        db.insert("notes", {"id": "taken" if n == 1 else f"n{n}", "body": "x"})
        return n

    answers = await asyncio.gather(
        *(db.commit_together(lambda n=n: action(n)) for n in range(3)), return_exceptions=True
    )
    assert answers[0] == 0 and answers[2] == 2
    assert isinstance(answers[1], psycopg.errors.UniqueViolation)
    notes = db.all("SELECT id FROM notes ORDER BY id")
    assert notes == [{"id": "n0"}, {"id": "n2"}, {"id": "taken"}]
