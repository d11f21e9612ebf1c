"""Chat fan-out (issue 17): many WS viewers in one stream room while chatters write.

``VIEWERS`` raw WebSocket viewers join the room (they only receive); a few probe viewers also
read the send time written into each chatter's message, so delivery time is measured from the
moment the chatter's request left to the moment a viewer's bytes arrived (the probe stamps a
read before it looks at it, and reads only the frame heads and the stamp).

The raw viewers read from ``VIEWER_PROCESSES`` processes of their own (0: from this one), so
the probes' process does not queue behind a thousand sockets' reads; they still read every
byte, so what the server does is the same. The CPU of every side and this process's own loop
lag are printed next to the times: on two cores the viewers, the chatters and the server
compete. Printed by ``onair bench backend``, not asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._http import RawClient
from bench._processes import CpuMeter
from bench._ws import PING, TEXT, FrameReader, ViewerProtocol, joined_viewer

VIEWERS = 1000
CHATTERS = 50
RATE = 5.0  # messages per second per chatter
SECONDS = 5.0
PROBES = 10
HEALTH_EVERY = 0.05  # s between the bystander's requests
VIEWER_PROCESSES = 1
LAG_TICK = 0.005  # s between the loop-lag monitor's wake-ups
# A chatter's message: its text starts with the perf_counter time it was sent at.
STAMP = re.compile(rb'^\{"event":"chat:message",.*?"text":"t=([0-9.]+) ')
REPOSITORY = Path(__file__).resolve().parent.parent


class Probe(ViewerProtocol):
    """A viewer that times each chatter's message: from the send time in its text to the read
    that completed its frame."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = FrameReader()
        self.delays: list[float] = []

    def received(self, data: bytes, at: float) -> None:
        for opcode, payload in self.frames.feed(data):
            if opcode == PING:
                self.pong(payload)
            elif opcode == TEXT:
                if stamp := STAMP.match(payload):
                    self.delays.append((at - float(stamp[1])) * 1000)
                self.got_message.set()


@contextlib.asynccontextmanager
async def viewer_processes(
    url: str, token: str, room: str, count: int, processes: int
) -> AsyncIterator[list[int]]:
    """``count`` raw viewers of ``room`` spread over ``processes`` (bench/_viewers.py); yields
    their pids once every one has joined, and closes them after."""
    children = []
    for n in range(processes):
        share = count // processes + (n < count % processes)
        children.append(
            await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "bench._viewers", url, token, room, str(share)),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                cwd=REPOSITORY,
                env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
            )
        )
    try:
        for child in children:
            assert child.stdout is not None
            if await child.stdout.readline() != b"ready\n":
                raise RuntimeError("a viewer process did not get its viewers into the room")
        yield [child.pid for child in children]
    finally:
        for child in children:
            assert child.stdin is not None
            child.stdin.close()
        for child in children:
            await child.wait()


@contextlib.asynccontextmanager
async def viewers_here(
    url: httpx.URL, token: str, room: str, count: int, http: httpx.AsyncClient
) -> AsyncIterator[list[int]]:
    """The raw viewers in this process (``VIEWER_PROCESSES`` 0: the probes queue behind them)."""
    viewers = [await joined_viewer(url, token, room, http) for _ in range(count)]
    try:
        yield []
    finally:
        for viewer in viewers:
            if viewer.transport is not None:
                viewer.transport.close()


async def _loop_lag(lags: list[float]) -> None:
    """How late this process's loop wakes a sleeper, every LAG_TICK s until cancelled: the
    probes' reads wait that long too."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(LAG_TICK)
        lags.append((time.perf_counter() - started - LAG_TICK) * 1000)


async def _chatter(url: httpx.URL, stream: str, headers: dict[str, str], counts: list[int]) -> None:
    client = RawClient(url.host, url.port or 80)
    started = time.perf_counter()
    sent = 0
    while (elapsed := time.perf_counter() - started) < SECONDS:
        await asyncio.sleep(max(0.0, sent / RATE - elapsed))
        status, _ = await client.request(
            "POST",
            f"/api/streams/{stream}/chat",
            {"text": f"t={time.perf_counter():.6f} #{sent}"},
            headers,
        )
        counts[0 if status == 200 else 1] += 1
        sent += 1
    await client.close()


async def _bystander(url: httpx.URL, latencies: list[float]) -> None:
    """Someone else's request, one every HEALTH_EVERY s until cancelled: how long the server
    keeps it waiting while the chat goes out."""
    client = RawClient(url.host, url.port or 80)
    try:
        while True:
            started = time.perf_counter()
            await client.request("GET", "/api/health")
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(HEALTH_EVERY)
    finally:
        await client.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True)
class ChatRound:
    viewers: int
    accepted_per_second: float
    refused: int
    p50: float
    p99: float
    server_cpu_per_message: float  # µs, sending and delivering (the tail's included)
    bystander_p50: float
    bystander_max: float
    client_cpu: float  # s: this process (probes, chatters), during the round
    viewers_cpu: float  # s: the viewer processes, during the round
    client_lag_p99: float  # ms: this process's loop
    processes: int

    def line(self) -> str:
        where = (
            f"raw viewers read in {self.processes} process(es) of their own"
            if self.processes
            else "raw viewers read in the probes' process"
        )
        return (
            f"chat: {self.viewers} WS viewers in one room, {CHATTERS} chatters × {RATE:g} msg/s "
            f"for {SECONDS:g} s: {self.accepted_per_second:.0f} msgs/s accepted "
            f"({self.refused} refused), delivery (request sent → bytes read at a probe viewer) "
            f"p50 {self.p50:.1f} ms, p99 {self.p99:.1f} ms; server CPU "
            f"{self.server_cpu_per_message:,.0f} µs an accepted message; meanwhile another "
            f"request (GET /api/health every {HEALTH_EVERY * 1000:.0f} ms) p50 "
            f"{self.bystander_p50:.1f} ms, max {self.bystander_max:.1f} ms\n"
            f"    client side ({where}): CPU {self.client_cpu:.2f} s probes + chatters, "
            f"{self.viewers_cpu:.2f} s raw viewers; the probes' loop lag p99 "
            f"{self.client_lag_p99:.1f} ms"
        )


async def chat_fanout(
    base_url: str,
    client: httpx.AsyncClient,
    account: Any,
    server_pid: int,
    viewers: int = VIEWERS,
    processes: int = VIEWER_PROCESSES,
) -> ChatRound:
    host = await account(client)
    me = await client.get("/api/auth/me", headers=host["headers"])
    stream = me.json()["data"]["username"]
    room = f"stream:{stream}"
    url = httpx.URL(base_url)
    watcher = await account(client)
    raw = viewers - PROBES
    token = watcher["token"]
    holding = (
        viewer_processes(base_url, token, room, raw, processes)
        if processes
        else viewers_here(url, token, room, raw, client)
    )
    async with holding as viewer_pids:
        probes = [await joined_viewer(url, token, room, client, Probe) for _ in range(PROBES)]
        chatters = [await account(client) for _ in range(CHATTERS)]
        await asyncio.sleep(0.5)
        counts = [0, 0]  # accepted, refused
        waits: list[float] = []
        lags: list[float] = []
        watchers = [
            asyncio.create_task(_bystander(url, waits)),
            asyncio.create_task(_loop_lag(lags)),
        ]
        with CpuMeter(server_pid) as cpu, CpuMeter(*viewer_pids) as viewers_cpu:
            started = time.perf_counter()
            await asyncio.gather(*(_chatter(url, stream, c["headers"], counts) for c in chatters))
            elapsed = time.perf_counter() - started
            await asyncio.sleep(1.0)  # the last messages reach the viewers
        for watcher_task in watchers:
            watcher_task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        for probe in probes:
            if probe.transport is not None:
                probe.transport.close()
    delays = [delay for probe in probes for delay in probe.delays]
    cpu_per_message = cpu.server / max(1, counts[0]) * 1e6
    return ChatRound(
        viewers,
        counts[0] / elapsed,
        counts[1],
        percentile(delays, 0.5),
        percentile(delays, 0.99),
        cpu_per_message,
        percentile(waits, 0.5),
        max(waits, default=float("nan")),
        cpu.client,
        viewers_cpu.server,
        percentile(lags, 0.99),
        processes,
    )
