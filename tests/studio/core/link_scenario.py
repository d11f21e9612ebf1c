"""Run inside a network namespace by test_quality_link: a backend and a publisher on its ``lo``.

Prints one JSON line per publisher status tick; the test shapes the namespace's link with
``tc`` and watches the quality level react. Runs until stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path

import aioice.ice
import httpx

from backend.settings import Settings
from studio.core.broadcast import Broadcast, LiveTarget
from studio.core.publisher import PublisherStatus
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource
from tests.backend.api_helpers import register
from tests.servers import running_server


def report(status: PublisherStatus) -> None:
    line = {
        "t": time.monotonic(),  # the same clock in every process of this machine
        "state": status.state.value,
        "level": status.level.name,
        "network": status.network,
        "rtt": status.rtt_ms,
        "loss": round(status.loss_pct, 1),
        "kbps": round(status.bitrate_kbps),
        "reconnects": status.reconnects,
    }
    print(json.dumps(line), flush=True)


async def main(data_dir: Path) -> None:
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
    settings = Settings(db_path=data_dir / "onair.sqlite3", jwt_secret="s" * 40, port=0)
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as client:
            user = await register(client)
        broadcast = Broadcast()
        broadcast.status_changed.add(report)
        broadcast.use_source(SampleSource(640, 360, fps=30.0), SAMPLE)
        await broadcast.go_live(LiveTarget(f"{live.url}/whip/{user.username}", user.token))
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await broadcast.close()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp, contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(Path(tmp)))
