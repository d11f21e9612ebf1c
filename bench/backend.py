"""Backend benchmark: sustained gifts per second with exact totals (SQLite, PostgreSQL, two
PostgreSQL nodes), WS fan-out latency, and another user's latency during a wrong-password storm.

Prints numbers; asserts nothing. The server runs in its own process; the load generator and
the 1,000 WebSocket viewers run in this one (their own overhead is part of the figure, so the
CPU time each side spent in the measured part is printed next to it: on 2 cores the client
and the server compete).

``--baseline REV`` (``onair bench backend --baseline REV``) also measures the backend of an
earlier commit of this repository, exported with ``git archive`` and served from that tree, in
the same run: gift rounds alternate between the two servers, so both see the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import resource
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvloop

from bench._http import RawClient
from bench._processes import (
    CpuMeter,
    free_port,
    postgres_server,
    redis_server,
    wait_until_healthy,
)
from bench._ws import Round, joined_viewer
from bench.chat import VIEWER_PROCESSES, ChatRound, chat_fanout, percentile

GIFTS = 3000
CONCURRENCY = 64
VIEWERS = 1000
FANOUT_ROUNDS = 20
WORKERS = 2
SCALE_OUT_VIEWERS = 5000
AB_ROUNDS = 3  # gift rounds per server when comparing with a baseline
CHAT_AB_ROUNDS = 2  # chat rounds per server when comparing with a baseline
REPOSITORY = Path(__file__).resolve().parent.parent


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


@dataclass(frozen=True)
class Throughput:
    accepted: int
    seconds: float
    exact: bool  # each host's score is exactly the gifts accepted for them
    cpu: CpuMeter

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds

    def line(self) -> str:
        return (
            f"gifts: {self.accepted}/{GIFTS} accepted in {self.seconds:.2f} s = "
            f"{self.per_second:,.0f} gifts/s (concurrency {CONCURRENCY}); totals exact: "
            f"{self.exact}\n  {self.cpu.per(self.accepted, 'gift')}"
        )


async def gift_throughput(
    client: httpx.AsyncClient, server_pid: int, *more_nodes: tuple[str, int]
) -> Throughput:
    """GIFTS gifts from CONCURRENCY senders; with ``more_nodes`` (url, pid) the senders are
    spread over this client's node and those (several nodes sharing one database)."""
    battle_id, host1, host2 = await start_battle(client)
    senders = [await account(client, coins=100_000) for _ in range(CONCURRENCY)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(GIFTS):
        queue.put_nowait(i)
    accepted = {host1["id"]: 0, host2["id"]: 0}

    urls = [httpx.URL(str(client.base_url)), *(httpx.URL(url) for url, _ in more_nodes)]

    async def worker(n: int, sender: dict[str, Any]) -> None:
        url = urls[n % len(urls)]
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
    with CpuMeter(server_pid, *(pid for _, pid in more_nodes)) as cpu:
        await asyncio.gather(*(worker(n, s) for n, s in enumerate(senders)))
    elapsed = time.perf_counter() - started
    detail = (await client.get(f"/api/pk-battles/{battle_id}", headers=host1["headers"])).json()
    scores = detail["data"]["scores"]
    exact = scores["host1"] == accepted[host1["id"]] and scores["host2"] == accepted[host2["id"]]
    return Throughput(sum(accepted.values()), elapsed, exact, cpu)


async def compare_gifts(servers: dict[str, tuple[str, int]]) -> None:
    """Gift rounds alternating between the servers (same machine, same moment); the median
    round of each."""
    results: dict[str, list[Throughput]] = {label: [] for label in servers}
    limits = httpx.Limits(max_connections=CONCURRENCY * 2, max_keepalive_connections=CONCURRENCY)
    for _ in range(AB_ROUNDS):
        for label, (url, pid) in servers.items():
            async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
                results[label].append(await gift_throughput(client, pid))
    for label, rounds in results.items():
        median = sorted(rounds, key=lambda r: r.per_second)[len(rounds) // 2]
        each = ", ".join(f"{r.per_second:,.0f}" for r in rounds)
        print(f"{label}: median {median.line()}\n  rounds: {each} gifts/s")


async def fanout_latency(
    nodes: list[tuple[str, int]], client: httpx.AsyncClient, count: int = VIEWERS
) -> None:
    """Gifts sent through the first node; the viewers spread over every node in turn."""
    battle_id, host1, _ = await start_battle(client)
    viewer = await account(client, coins=100_000)
    urls = [httpx.URL(base_url) for base_url, _ in nodes]
    url = urls[0]
    viewers = []
    for n in range(count):
        room = f"pk-battle:{battle_id}"
        viewers.append(await joined_viewer(urls[n % len(urls)], viewer["token"], room, client))
    await asyncio.sleep(0.5)
    sender = RawClient(url.host, url.port or 80)
    p50s, p99s = [], []
    with CpuMeter(*(pid for _, pid in nodes)) as cpu:
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
    spread = f" over {len(nodes)} nodes" if len(nodes) > 1 else ""
    print(
        f"fan-out of pk-battle:gift to {count} WS viewers{spread} (gift request sent → first "
        f"byte at each viewer, {FANOUT_ROUNDS} rounds): p50 {statistics.median(p50s):.1f} ms, "
        f"p99 {statistics.median(p99s):.1f} ms (worst round p99 {max(p99s):.1f} ms)\n"
        f"  {cpu.per(FANOUT_ROUNDS, 'round')}"
    )


STORM_SECONDS = 5.0
STORM_RATE = 30.0  # wrong passwords a second: inside the per-address request limit
STORM_ACCOUNTS = 30


async def me_latencies(client: httpx.AsyncClient, headers: dict[str, str]) -> list[float]:
    """Milliseconds of each GET /api/auth/me, one every 50 ms for STORM_SECONDS."""
    latencies: list[float] = []
    end = time.perf_counter() + STORM_SECONDS
    while time.perf_counter() < end:
        started = time.perf_counter()
        await client.get("/api/auth/me", headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.05)
    return latencies


async def wrong_passwords(
    client: httpx.AsyncClient, usernames: list[str], spread: bool
) -> Counter[int]:
    """STORM_RATE wrong passwords a second over ``usernames``: from this address, or (spread)
    each from another address (told by X-Forwarded-For; the bench server trusts loopback)."""
    sent: list[asyncio.Task[httpx.Response]] = []
    end = time.perf_counter() + STORM_SECONDS
    while time.perf_counter() < end:
        n = len(sent)
        forwarded = {"X-Forwarded-For": f"10.0.{n // 256 % 256}.{n % 256}"} if spread else {}
        body = {"username": usernames[n % len(usernames)], "password": "not the password"}
        sent.append(
            asyncio.create_task(client.post("/api/auth/login", json=body, headers=forwarded))
        )
        await asyncio.sleep(1 / STORM_RATE)
    return Counter(answer.status_code for answer in await asyncio.gather(*sent))


async def login_storm(base_url: str) -> None:
    """Another user's GET /api/auth/me while wrong passwords pour in, against a quiet baseline
    in the same run (issue 21: unbounded hashing took it from 8 ms to p50 128 ms)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        reader = await account(client)
        names = []
        for _ in range(STORM_ACCOUNTS):
            name = "s" + uuid.uuid4().hex[:12]
            await client.post("/api/auth/register", json={"username": name, "password": "p" * 12})
            names.append(name)
        quiet = await me_latencies(client, reader["headers"])
        print(
            f"GET /api/auth/me, quiet: p50 {statistics.median(quiet):.1f} ms, "
            f"max {max(quiet):.1f} ms"
        )
        for label, spread in (("from one address", False), ("from many addresses", True)):
            storm = asyncio.create_task(wrong_passwords(client, names, spread))
            busy = await me_latencies(client, reader["headers"])
            answers = dict(sorted((await storm).items()))
            print(
                f"  during {STORM_RATE:.0f}/s wrong passwords {label}: p50 "
                f"{statistics.median(busy):.1f} ms, max {max(busy):.1f} ms; "
                f"login answers by status {answers}"
            )


async def run(base_url: str, server_pid: int, viewers: int, viewer_processes: int) -> None:
    limits = httpx.Limits(max_connections=CONCURRENCY * 2, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        print((await gift_throughput(client, server_pid)).line())
        await fanout_latency([(base_url, server_pid)], client, viewers)
        chat = await chat_fanout(base_url, client, account, server_pid, processes=viewer_processes)
        print(chat.line())


@contextlib.contextmanager
def backend(db: Path, *args: str, tree: Path = REPOSITORY) -> Iterator[tuple[str, int]]:
    """A backend server process running the code of ``tree`` (this checkout by default)."""
    port = free_port()
    command = [sys.executable, "-m", "bench._backend_server", "--db", str(db), "--port", str(port)]
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    server = subprocess.Popen([*command, *args], cwd=tree, env=environment, start_new_session=True)
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


def export_tree(revision: str, into: Path) -> Path:
    """This repository's files at ``revision`` (``git archive``), unpacked under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", "--format=tar", revision],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


async def compare_chat(servers: dict[str, tuple[str, int]], viewer_processes: int) -> None:
    """Chat fan-out rounds alternating between the servers; every round, then the median p99."""
    results: dict[str, list[ChatRound]] = {label: [] for label in servers}
    for _ in range(CHAT_AB_ROUNDS):
        for label, (url, pid) in servers.items():
            async with httpx.AsyncClient(base_url=url, timeout=60) as client:
                chat = await chat_fanout(url, client, account, pid, processes=viewer_processes)
                results[label].append(chat)
    for label, rounds in results.items():
        print(f"{label}: median p99 {statistics.median(r.p99 for r in rounds):.1f} ms")
        for chat_round in rounds:
            print(f"  {chat_round.line()}")


def compare_with(revision: str, tmp: Path, chat_only: bool, viewer_processes: int) -> None:
    label = f"baseline {revision}"
    before = export_tree(revision, tmp / "baseline")
    with (
        backend(tmp / "before.sqlite3", tree=before) as old,
        backend(tmp / "after.sqlite3") as new,
    ):
        servers = {label: old, "this tree": new}
        if not chat_only:
            print(
                f"== gifts, same run: {label} against this tree ({AB_ROUNDS} alternating rounds) =="
            )
            uvloop.run(compare_gifts(servers))
        print(
            f"== chat, same run: {label} against this tree ({CHAT_AB_ROUNDS} alternating rounds) =="
        )
        uvloop.run(compare_chat(servers, viewer_processes))


async def engine_gifts(label: str, nodes: list[tuple[str, int]], viewers: int = 0) -> Throughput:
    """Gifts/s through ``nodes``; with ``viewers``, then the fan-out to them over the nodes."""
    limits = httpx.Limits(max_connections=CONCURRENCY * 2, max_keepalive_connections=CONCURRENCY)
    (url, pid), *others = nodes
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        result = await gift_throughput(client, pid, *others)
        print(f"{label}: {result.line()}")
        if viewers:
            await fanout_latency(nodes, client, viewers)
    return result


def compare_engines(tmp: Path) -> None:
    """Gifts/s in one run: SQLite on one node, PostgreSQL on one node, PostgreSQL on two nodes
    (separate processes on separate ports sharing the database and a Redis; senders spread
    over both). The PostgreSQL cluster is local (loopback), fsync off as in the tests: the
    SQLite side runs WAL with synchronous=NORMAL, which does not fsync each commit either."""
    print("== gifts by storage engine, same run (each node is one process) ==")
    with backend(tmp / "engine-sqlite.sqlite3") as sqlite_node:
        uvloop.run(engine_gifts("SQLite, one node", [sqlite_node]))
    with postgres_server() as admin_url, redis_server(tmp) as redis_url:
        for name in ("gifts_one", "gifts_two"):
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
        base = admin_url.rsplit("/", 1)[0]
        with backend(tmp / "engine-pg.sqlite3", "--database-url", f"{base}/gifts_one") as node:
            uvloop.run(engine_gifts("PostgreSQL, one node", [node]))
        shared = ("--database-url", f"{base}/gifts_two", "--redis-url", redis_url)
        with (
            backend(tmp / "node-a.sqlite3", *shared) as node_a,
            backend(tmp / "node-b.sqlite3", *shared) as node_b,
        ):
            uvloop.run(engine_gifts("PostgreSQL, two nodes", [node_a, node_b], SCALE_OUT_VIEWERS))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="onair bench backend")
    parser.add_argument("--baseline", help="also measure gifts/s and chat at this git revision")
    parser.add_argument(
        "--chat-only", action="store_true", help="only the chat fan-out (same run with --baseline)"
    )
    parser.add_argument(
        "--engines-only",
        action="store_true",
        help="only the gifts/s of SQLite, PostgreSQL and two PostgreSQL nodes (and the "
        "fan-out to 5,000 viewers over the two nodes)",
    )
    parser.add_argument(
        "--chat-viewer-processes",
        type=int,
        default=VIEWER_PROCESSES,
        help="processes the chat's raw viewers read in (0: in the probes' own process, whose "
        f"loop then queues behind them; default {VIEWER_PROCESSES})",
    )
    args = parser.parse_args(argv or [])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with tempfile.TemporaryDirectory() as tmp:
        if not args.chat_only:
            compare_engines(Path(tmp))
        if args.engines_only:
            return
        if args.baseline:
            compare_with(args.baseline, Path(tmp), args.chat_only, args.chat_viewer_processes)
        elif args.chat_only:
            with backend(Path(tmp) / "chat.sqlite3") as servers:
                uvloop.run(compare_chat({"this tree": servers}, args.chat_viewer_processes))
        if args.chat_only:
            return
        with backend(Path(tmp) / "single.sqlite3") as (url, pid):
            print("== backend: one process (server in its own process, 2-core machine) ==")
            uvloop.run(run(url, pid, VIEWERS, args.chat_viewer_processes))
            uvloop.run(login_storm(url))
        with (
            redis_server(Path(tmp)) as redis_url,
            backend(
                Path(tmp) / "workers.sqlite3", "--workers", str(WORKERS), "--redis-url", redis_url
            ) as (url, pid),
        ):
            print(f"== backend: {WORKERS} workers behind one port sharing events through Redis ==")
            uvloop.run(run(url, pid, SCALE_OUT_VIEWERS, args.chat_viewer_processes))


if __name__ == "__main__":
    main(sys.argv[1:])  # `python -m bench.backend --engines-only` (onair bench passes its own)
