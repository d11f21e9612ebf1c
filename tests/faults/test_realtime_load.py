"""Slow and stalled WebSocket clients are dropped without holding back the others; a thousand
viewers arriving and leaving leave no connections, rooms, tasks or memory behind."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from bench._ws import ticketed, ws_ticket
from onair_cli import main as onair
from tests.backend.api_helpers import Listener, register
from tests.faults.process import Backend, backend
from tests.servers import LiveServer, make_settings, running_server
from wire.events import Hub
from wire.hub import HubError

BULK, PAD = 250, "x" * 64_000  # 16 MB: more than every socket buffer on the way
VIEWERS, AT_ONCE, ROUNDS = 400, 200, 3  # 1,200 viewers come and go


@pytest.fixture
def small_queues(tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(
        tmp_path / "onair.sqlite3", rate_per_second=10_000.0, rate_burst=10_000, ws_queue_size=8
    )
    with running_server(settings) as server:
        yield server


def server_loop() -> asyncio.AbstractEventLoop:
    """The in-process server's event loop (the one running loop that is not the test's)."""
    ours = asyncio.get_running_loop()
    loops = [
        obj
        for obj in gc.get_objects()
        # type(), not isinstance(): a weakref proxy to a dead object raises on __class__
        if issubclass(type(obj), asyncio.AbstractEventLoop) and obj.is_running() and obj is not ours
    ]
    assert len(loops) == 1
    return loops[0]


def stalled_client(port: int, ticket: str, room: str) -> socket.socket:
    """A raw WebSocket client that upgrades, joins ``room`` and never reads again."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws?ticket={ticket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    text = json.dumps({"event": "join", "data": {"room": room}}).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
    sock.sendall(bytes([0x81, 0x80 | len(text)]) + mask + masked)  # one masked text frame
    return sock


async def test_a_stalled_client_is_dropped_and_the_others_get_everything(
    small_queues: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=small_queues.url, timeout=30) as http:
        streamer = await register(http)
    room, token = f"stream:{streamer.username}", streamer.token
    hub = small_queues.app.state.hub
    async with Listener(small_queues.ws_url, token) as good:
        await good.join(room)
        ticket = await ws_ticket(small_queues.ws_url, token)
        slow = stalled_client(small_queues.settings.port, ticket, room)
        while hub.room_size(room) < 2:
            await asyncio.sleep(0.01)
        loop = server_loop()
        for n in range(BULK):  # at the pace of a client that keeps up
            bulk = HubError(code=f"bulk-{n}", message=PAD)  # any declared event with room for PAD
            loop.call_soon_threadsafe(hub.publish, room, Hub.ERROR, bulk)
            await good.wait_for(lambda e, n=n: e["data"].get("code") == f"bulk-{n}")
        codes = [e["data"]["code"] for e in good.events if e["event"] == Hub.ERROR]
        assert codes == [f"bulk-{n}" for n in range(BULK)]
        assert hub.dropped_slow == 1
        slow.close()
        assert hub.room_size(room) == 1


async def gauges(http: httpx.AsyncClient, token: str) -> dict[str, float]:
    response = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name in ("onair_ws_connections", "onair_ws_rooms", "onair_asyncio_tasks")
    }


async def churn(server: Backend, token: str, room: str) -> None:
    """VIEWERS viewers, AT_ONCE at a time: connect, join the stream's room, leave."""
    gate = asyncio.Semaphore(AT_ONCE)

    async def viewer() -> None:
        async with gate, websockets.connect(await ticketed(server.ws_url, token)) as ws:
            await ws.recv()
            await ws.send(json.dumps({"event": "join", "data": {"room": room}}))
            while json.loads(await ws.recv())["event"] != "joined":
                pass

    await asyncio.gather(*(viewer() for _ in range(VIEWERS)))


async def settled(http: httpx.AsyncClient, token: str) -> dict[str, float]:
    """The gauges once every viewer's connection is gone."""
    while True:
        now = await gauges(http, token)
        if now["onair_ws_connections"] == 0 and now["onair_ws_rooms"] == 0:
            return now
        await asyncio.sleep(0.1)


@pytest.mark.one_engine  # connections, rooms, tasks and memory: the storage is not in play
def test_viewer_churn_leaves_nothing_behind(tmp_path: Path) -> None:
    with backend(tmp_path / "onair.sqlite3") as server:
        asyncio.run(churn_rounds(server))


async def churn_rounds(server: Backend) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        admin, streamer = await register(http), await register(http)
        database = ["--database-url", server.database_url] if server.database_url else []
        assert (
            onair(["admin", "grant", admin.username, "--db", str(server.db_path), *database]) == 0
        )
        guest = (await http.post("/api/auth/guest")).json()["data"]["token"]
        room = f"stream:{streamer.username}"
        after: list[tuple[float, int]] = []
        for _ in range(ROUNDS):
            await churn(server, guest, room)
            state = await asyncio.wait_for(settled(http, admin.token), 30)
            after.append((state["onair_asyncio_tasks"], server.rss_kib()))
    tasks = [t for t, _ in after]
    assert tasks[-1] <= tasks[0], tasks
    # The first round warms caches and allocators; later rounds must not keep growing.
    assert after[-1][1] - after[1][1] < 8 * 1024, after
