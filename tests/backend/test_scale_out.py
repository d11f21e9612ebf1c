"""Several backend workers share real-time events through a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.backend.api_helpers import Listener, register
from tests.servers import backend_subprocess, redis_server


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
