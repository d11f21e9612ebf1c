"""Quality adaptation on a real link made worse: tc tbf (rate + queue limit) in a namespace.

The test creates a network namespace with only ``lo``, runs a backend and a publisher in it
(``link_scenario.py``), then throttles the namespace's link to 400 kbit/s with a 200 ms queue
(this kernel has no netem; tbf gives real loss and queueing delay) and lifts it again. The
publisher must step down, then climb back up once the link is clean. Needs root and ``ip``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RANK = {"low": 0, "sd": 1, "hd": 2, "fullhd": 3}
SHAPE = ["tbf", "rate", "400kbit", "burst", "32kbit", "latency", "200ms"]


def _namespaces_work() -> bool:
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("tc") is None:
        return False
    name = f"onair-probe-{uuid.uuid4().hex[:6]}"
    try:
        ok = subprocess.run(["ip", "netns", "add", name], capture_output=True).returncode == 0
        if ok:
            run = ["ip", "netns", "exec", name]
            subprocess.run([*run, "ip", "link", "set", "lo", "up"], check=True)
            shaped = subprocess.run([*run, "tc", "qdisc", "add", "dev", "lo", "root", *SHAPE])
            ok = shaped.returncode == 0
        return ok
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


pytestmark = pytest.mark.skipif(
    not _namespaces_work(), reason="needs root, network namespaces and tc tbf"
)


class Scenario:
    def __init__(self, namespace: str, process: asyncio.subprocess.Process) -> None:
        self.namespace = namespace
        self.process = process
        self.statuses: list[dict[str, object]] = []

    async def tc(self, *args: str) -> None:
        cmd = ["ip", "netns", "exec", self.namespace, "tc", "qdisc", *args, "dev", "lo", "root"]
        if args[0] == "add":
            cmd += SHAPE
        proc = await asyncio.create_subprocess_exec(*cmd)
        assert await proc.wait() == 0

    async def until(self, predicate: object, timeout: float) -> dict[str, object]:
        async def read() -> dict[str, object]:
            assert self.process.stdout is not None
            while line := await self.process.stdout.readline():
                status = json.loads(line)
                self.statuses.append(status)
                if predicate(status):  # type: ignore[operator]
                    return status
            raise AssertionError(f"the scenario ended: {self.statuses[-5:]}")

        return await asyncio.wait_for(read(), timeout)


@pytest.fixture
async def scenario() -> AsyncIterator[Scenario]:
    namespace = f"onair-q-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    process = None
    try:
        subprocess.run(
            ["ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up"], check=True
        )
        command = [sys.executable, "-m", "tests.studio.core.link_scenario"]
        process = await asyncio.create_subprocess_exec(
            *["ip", "netns", "exec", namespace, *command],
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        yield Scenario(namespace, process)
    finally:
        if process is not None and process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True)


async def test_publisher_steps_down_on_a_throttled_link_and_back_up_when_it_recovers(
    scenario: Scenario,
) -> None:
    clean = await scenario.until(
        lambda s: s["state"] == "live" and s["network"] == "excellent", timeout=60
    )
    start = RANK[str(clean["level"])]
    await scenario.tc("add")
    worse = await scenario.until(lambda s: RANK[s["level"]] < start, timeout=60)
    await asyncio.sleep(5)  # stay throttled a while: the level must not climb back meanwhile
    lifted = time.monotonic()
    await scenario.tc("del")

    def throttled() -> list[int]:
        return [
            RANK[str(s["level"])]
            for s in scenario.statuses
            if float(worse["t"]) <= float(s["t"]) < lifted  # type: ignore[arg-type]
        ]

    recovered = await scenario.until(
        lambda s: s["t"] > lifted and RANK[s["level"]] > min(throttled()), timeout=90
    )
    assert max(throttled()) < start  # it stayed down while the link was bad
    assert RANK[str(recovered["level"])] == min(throttled()) + 1  # and climbs one level at a time
