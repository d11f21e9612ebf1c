"""Several backend workers share real-time events through a real redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest

from backend.services.social.likes import BURST
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.servers import backend_subprocess, make_settings, redis_server, running_server
from wire.events import multihost_room, stream_room

# Workers sharing one SQLite file; the same on PostgreSQL across nodes: test_nodes.py.
pytestmark = pytest.mark.one_engine


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    with redis_server(tmp_path) as url:
        yield url


@contextmanager
def backend_process(db: Path, redis_url: str, workers: int = 1) -> Iterator[str]:
    args = ("--allow-topup", "--redis-url", redis_url, "--workers", str(workers))
    with backend_subprocess(db, *args) as (url, _):
        yield url


async def test_gift_on_one_worker_reaches_viewer_on_another(tmp_path: Path, redis_url: str) -> None:
    db = tmp_path / "shared.sqlite3"
    with backend_process(db, redis_url) as url_a, backend_process(db, redis_url) as url_b:
        async with httpx.AsyncClient(base_url=url_a) as a, httpx.AsyncClient(base_url=url_b) as b:
            host1, host2 = await register(a), await register(a)
            viewer = await register(a, coins=100)
            battle = await host1.data(
                "POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 2}
            )
            host2.client = b  # the opponent accepts through the other worker
            await host2.data("POST", f"/api/pk-battles/{battle['id']}/accept")
            ws_b = url_b.replace("http", "ws", 1) + "/ws"
            async with Listener(ws_b, viewer.token) as listener:
                assert (await listener.join(f"pk-battle:{battle['id']}"))["event"] == "joined"
                await viewer.data(
                    "POST",
                    f"/api/pk-battles/{battle['id']}/gift",
                    json={"giftId": "star", "quantity": 1, "toHost": host1.id},
                )
                event = await listener.wait_for("pk-battle:gift")
                assert event["data"]["scores"]["host1"] == 10


async def test_workers_behind_one_port_deliver_to_every_viewer(
    tmp_path: Path, redis_url: str
) -> None:
    with backend_process(tmp_path / "one-port.sqlite3", redis_url, workers=2) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            host1, host2 = await register(client), await register(client)
            viewer = await register(client, coins=100)
            battle = await host1.data(
                "POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 2}
            )
            await host2.data("POST", f"/api/pk-battles/{battle['id']}/accept")
            ws_url = url.replace("http", "ws", 1) + "/ws"
            listeners = [Listener(ws_url, viewer.token) for _ in range(8)]
            for listener in listeners:
                await listener.__aenter__()
            try:
                for listener in listeners:
                    await listener.join(f"pk-battle:{battle['id']}")
                await viewer.data(
                    "POST",
                    f"/api/pk-battles/{battle['id']}/gift",
                    json={"giftId": "rose", "quantity": 2, "toHost": host2.id},
                )
                events = await asyncio.gather(*(x.wait_for("pk-battle:gift") for x in listeners))
                assert all(e["data"]["scores"]["host2"] == 2 for e in events)
            finally:
                for listener in listeners:
                    await listener.__aexit__(None, None, None)


async def _viewer_count(streamer: ApiUser, expected: int) -> int:
    """Polls the stream snapshot until it shows ``expected`` viewers (or gives the last count)."""
    count = -1
    for _ in range(100):
        count = (await streamer.data("GET", f"/api/streams/{streamer.username}"))["viewerCount"]
        if count == expected:
            break
        await asyncio.sleep(0.05)
    return count


@asynccontextmanager
async def watching(
    ws_url: str, token: str, room: str, viewers: int
) -> AsyncIterator[list[Listener]]:
    async with contextlib.AsyncExitStack() as stack:
        listeners = [
            await stack.enter_async_context(Listener(ws_url, token)) for _ in range(viewers)
        ]
        for listener in listeners:
            assert (await listener.join(room))["event"] == "joined"
        yield listeners


async def test_viewer_count_adds_up_every_workers_viewers(tmp_path: Path, redis_url: str) -> None:
    settings = make_settings(tmp_path / "shared.sqlite3", redis_url=redis_url)
    with running_server(settings) as a, running_server(settings) as b:
        async with httpx.AsyncClient(base_url=a.url) as client:
            streamer = await register(client)
            room = stream_room(streamer.username)
            async with watching(a.ws_url, streamer.token, room, 2) as on_a:
                async with watching(b.ws_url, streamer.token, room, 3):
                    assert await _viewer_count(streamer, 5) == 5
                    event = await on_a[0].wait_for(
                        lambda e: e["event"] == "stream:viewers" and e["data"]["viewers"] == 5
                    )
                    assert event["data"]["stream"] == streamer.username
                assert await _viewer_count(streamer, 2) == 2


async def test_a_worker_that_dies_stops_counting(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONAIR_PRESENCE_TTL", "1")
    db = tmp_path / "shared.sqlite3"
    with (
        backend_process(db, redis_url) as url_a,
        backend_subprocess(db, "--redis-url", redis_url) as (url_b, worker_b),
    ):
        async with httpx.AsyncClient(base_url=url_a) as client:
            streamer = await register(client)
            ws_b = url_b.replace("http", "ws", 1) + "/ws"
            async with watching(ws_b, streamer.token, stream_room(streamer.username), 3):
                assert await _viewer_count(streamer, 3) == 3
                worker_b.send_signal(signal.SIGKILL)
                worker_b.wait(timeout=10)
                # Its three viewers never said goodbye; its liveness key expires instead.
                assert await _viewer_count(streamer, 0) == 0


async def test_a_cohost_connected_through_another_worker_is_not_taken_for_gone(
    tmp_path: Path, redis_url: str
) -> None:
    settings = make_settings(tmp_path / "shared.sqlite3", redis_url=redis_url)
    with running_server(settings) as a, running_server(settings) as b:
        async with httpx.AsyncClient(base_url=a.url) as client:
            alice, bob = await register(client), await register(client)
            session = await alice.data(
                "POST", "/api/multihost", json={"title": "Panel", "type": "panel", "layout": "grid"}
            )
            sid = session["id"]
            await alice.data("POST", f"/api/multihost/{sid}/invite", json={"userId": bob.id})
            await bob.data("POST", f"/api/multihost/{sid}/accept")
            db = a.app.state.services.db
            pending = "SELECT COUNT(*) FROM deadlines WHERE kind = 'multihost:host-gone'"
            room = multihost_room(sid)
            async with watching(b.ws_url, bob.token, room, 1):
                async with watching(a.ws_url, bob.token, room, 1):
                    pass  # Bob's studio moved to worker B; its old connection to A closes.
                await asyncio.sleep(0.3)
                assert db.scalar(pending) == 0
            for _ in range(100):  # now his last connection anywhere is gone
                if db.scalar(pending) == 1:
                    break
                await asyncio.sleep(0.05)
            assert db.scalar(pending) == 1


async def test_chat_batches_on_one_worker_reach_a_viewer_on_another_in_order(
    tmp_path: Path, redis_url: str
) -> None:
    db = tmp_path / "chat.sqlite3"
    with backend_process(db, redis_url) as url_a, backend_process(db, redis_url) as url_b:
        async with httpx.AsyncClient(base_url=url_a) as a:
            host, alice = await register(a), await register(a)
            ws_b = url_b.replace("http", "ws", 1) + "/ws"
            async with Listener(ws_b, alice.token) as listener:
                await listener.join(stream_room(host.username))
                texts = [f"line {i}" for i in range(10)]
                path = f"/api/streams/{host.username}/chat"
                # Sent at once, they commit together and leave worker A as one batch.
                await asyncio.gather(*(host.data("POST", path, json={"text": t}) for t in texts))
                await listener.wait_for(lambda e: len(listener.named("chat:message")) == 10)
                page = await alice.data("GET", path)
                stored = [m["text"] for m in reversed(page["messages"])]
                assert [m["text"] for m in listener.named("chat:message")] == stored
                assert sorted(stored) == sorted(texts)


async def test_a_viewers_like_budget_is_one_across_workers(tmp_path: Path, redis_url: str) -> None:
    # Media on its own server (as when workers scale out): likes are taken without a local live.
    settings = make_settings(
        tmp_path / "likes.sqlite3",
        redis_url=redis_url,
        whep_url_template="https://media.example/whep/{stream}",
    )
    with running_server(settings) as a, running_server(settings) as b:
        for worker in (a, b):
            worker.app.state.services.social.likes.rate.clock = lambda: 1000.0  # time stands still
        async with (
            httpx.AsyncClient(base_url=a.url) as on_a,
            httpx.AsyncClient(base_url=b.url) as on_b,
        ):
            alice, bob = await register(on_a), await register(on_a)
            path = f"/api/streams/{alice.username}/likes"
            answers = await asyncio.gather(
                *(
                    (on_a, on_b)[i % 2].post(path, json={"count": 1}, headers=bob.headers)
                    for i in range(100)
                )
            )
            statuses = [answer.status_code for answer in answers]
            # Fifty a worker: with a budget per worker, each would have taken BURST.
            assert statuses.count(200) == BURST and statuses.count(429) == 100 - BURST
            stored = "SELECT likes FROM stream_details WHERE stream = ?"
            db = a.app.state.services.db
            for _ in range(100):  # each worker writes its own batch
                if db.scalar(stored, (alice.username,)) == BURST:
                    break
                await asyncio.sleep(0.05)
            assert db.scalar(stored, (alice.username,)) == BURST
