"""Backend benchmark: sustained gifts per second with exact totals, and WS fan-out latency.

Prints numbers; asserts nothing. The server runs in its own process; the load generator and
the 1,000 WebSocket viewers run in this one (their own overhead is part of the figure, so the
CPU time each side spent in the measured part is printed next to it: on 2 cores the client
and the server compete).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvloop

from bench._http import RawClient
from bench._processes import free_port, redis_server, wait_until_healthy
from bench._ws import Round, connect_viewer

GIFTS = 3000
CONCURRENCY = 64
VIEWERS = 1000
FANOUT_ROUNDS = 20
WORKERS = 2
SCALE_OUT_VIEWERS = 5000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its descendants (uvicorn workers)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return own + sum(process_tree_cpu(int(child)) for child in children)


class CpuMeter:
    """CPU seconds the server (a process tree) and this client spend between start and stop."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.server = self.client = 0.0

    def __enter__(self) -> CpuMeter:
        self._server0, self._client0 = process_tree_cpu(self.server_pid), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.server = process_tree_cpu(self.server_pid) - self._server0
        self.client = time.process_time() - self._client0

    def per(self, count: int, unit: str) -> str:
        return (
            f"CPU per {unit}: server {self.server / count * 1e6:,.0f} µs, "
            f"client {self.client / count * 1e6:,.0f} µs"
        )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def account(client: httpx.AsyncClient, coins: int = 0) -> dict[str, Any]:
    name = "b" + uuid.uuid4().hex[:12]
    r = await client.post("/api/auth/register", json={"username": name, "password": "benchmark!"})
    data = r.json()["data"]
    headers = {"Authorization": f"Bearer {data['token']}"}
    if coins:
        await client.post("/api/wallet/topup", json={"coins": coins}, headers=headers)
    return {"id": data["user"]["id"], "token": data["token"], "headers": headers}


async def start_battle(client: httpx.AsyncClient) -> tuple[str, dict, dict]:
    host1, host2 = await account(client), await account(client)
    r = await client.post(
        "/api/pk-battles",
        json={"opponent": host2["id"], "duration": 10},
        headers=host1["headers"],
    )
    battle_id = r.json()["data"]["id"]
    await client.post(f"/api/pk-battles/{battle_id}/accept", headers=host2["headers"])
    return battle_id, host1, host2


async def gift_throughput(client: httpx.AsyncClient, server_pid: int) -> None:
    battle_id, host1, host2 = await start_battle(client)
    senders = [await account(client, coins=100_000) for _ in range(CONCURRENCY)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(GIFTS):
        queue.put_nowait(i)
    accepted = {host1["id"]: 0, host2["id"]: 0}

    url = httpx.URL(str(client.base_url))

    async def worker(sender: dict[str, Any]) -> None:
        raw = RawClient(url.host, url.port or 80)
        while not queue.empty():
            i = queue.get_nowait()
            to_host = host1["id"] if i % 2 else host2["id"]
            status, _ = await raw.request(
                "POST",
                f"/api/pk-battles/{battle_id}/gift",
                {"giftId": "rose", "quantity": 1, "toHost": to_host},
                sender["headers"],
            )
            if status == 200:
                accepted[to_host] += 1
        await raw.close()

    started = time.perf_counter()
    with CpuMeter(server_pid) as cpu:
        await asyncio.gather(*(worker(s) for s in senders))
    elapsed = time.perf_counter() - started
    detail = (await client.get(f"/api/pk-battles/{battle_id}", headers=host1["headers"])).json()
    scores = detail["data"]["scores"]
    exact = scores["host1"] == accepted[host1["id"]] and scores["host2"] == accepted[host2["id"]]
    total = sum(accepted.values())
    print(
        f"gifts: {total}/{GIFTS} accepted in {elapsed:.2f} s = {total / elapsed:,.0f} gifts/s "
        f"(concurrency {CONCURRENCY}); totals exact: {exact}\n  {cpu.per(total, 'gift')}"
    )


async def fanout_latency(
    base_url: str, client: httpx.AsyncClient, server_pid: int, count: int = VIEWERS
) -> None:
    battle_id, host1, _ = await start_battle(client)
    viewer = await account(client, coins=100_000)
    url = httpx.URL(base_url)
    viewers = []
    for _ in range(count):
        protocol = await connect_viewer(url.host, url.port or 80, viewer["token"])
        await protocol.got_message.wait()  # hello
        protocol.expect_next()
        protocol.send("join", {"room": f"pk-battle:{battle_id}"})
        await protocol.got_message.wait()  # joined
        viewers.append(protocol)
    await asyncio.sleep(0.5)
    sender = RawClient(url.host, url.port or 80)
    p50s, p99s = [], []
    with CpuMeter(server_pid) as cpu:
        for _ in range(FANOUT_ROUNDS):
            broadcast = Round(viewers)
            sent = time.perf_counter()
            await sender.request(
                "POST",
                f"/api/pk-battles/{battle_id}/gift",
                {"giftId": "rose", "quantity": 1, "toHost": host1["id"]},
                viewer["headers"],
            )
            await asyncio.wait_for(broadcast.done, timeout=60)
            latencies = [(arrival - sent) * 1000 for arrival in broadcast.arrivals]
            p50s.append(percentile(latencies, 0.50))
            p99s.append(percentile(latencies, 0.99))
            await asyncio.sleep(0.1)
    await sender.close()
    for protocol in viewers:
        assert protocol.transport is not None
        protocol.transport.close()
    print(
        f"fan-out of pk-battle:gift to {count} WS viewers (gift request sent → first byte at "
        f"each viewer, {FANOUT_ROUNDS} rounds): p50 {statistics.median(p50s):.1f} ms, "
        f"p99 {statistics.median(p99s):.1f} ms (worst round p99 {max(p99s):.1f} ms)\n"
        f"  {cpu.per(FANOUT_ROUNDS, 'round')}"
    )


async def run(base_url: str, server_pid: int, viewers: int) -> None:
    limits = httpx.Limits(max_connections=CONCURRENCY * 2, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        await gift_throughput(client, server_pid)
        await fanout_latency(base_url, client, server_pid, viewers)


@contextlib.contextmanager
def backend(db: Path, *args: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    command = [sys.executable, "-m", "bench._backend_server", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen([*command, *args], start_new_session=True)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", timeout=120)  # slow to start when loaded
        yield f"http://127.0.0.1:{port}", server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            print("  (the server did not stop within 20 s of SIGTERM; killed)")
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with tempfile.TemporaryDirectory() as tmp:
        with backend(Path(tmp) / "single.sqlite3") as (url, pid):
            print("== backend: one process (server in its own process, 2-core machine) ==")
            uvloop.run(run(url, pid, VIEWERS))
        with (
            redis_server(Path(tmp)) as redis_url,
            backend(
                Path(tmp) / "workers.sqlite3", "--workers", str(WORKERS), "--redis-url", redis_url
            ) as (url, pid),
        ):
            print(f"== backend: {WORKERS} workers behind one port sharing events through Redis ==")
            uvloop.run(run(url, pid, SCALE_OUT_VIEWERS))


if __name__ == "__main__":
    main()
