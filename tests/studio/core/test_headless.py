"""The headless studio behind `make run` signs in, applies a preset and goes live."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from studio.core.headless import describe, find_preset, go_live
from studio.core.publisher import PublisherState, PublisherStatus
from tests.backend.api_helpers import register
from tests.helpers_media import loopback_ice  # noqa: F401  (fixture)
from tests.servers import LiveServer
from wire.quality import LEVELS, Condition


@pytest.mark.usefixtures("loopback_ice")
async def test_go_live_publishes_a_filtered_sample_stream(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        streamer = await register(client)
        task = asyncio.create_task(
            go_live(server.url, streamer.username, "correct horse", size=(320, 180))
        )
        try:
            for _ in range(300):
                snapshot = await streamer.data("GET", f"/api/streams/{streamer.username}")
                if snapshot["live"]:
                    break
                assert not task.done(), task.exception()
                await asyncio.sleep(0.1)
            assert snapshot["live"] is True
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 30)  # stopping must not hang


def test_unknown_preset_names_the_choices() -> None:
    assert find_preset("Natural beauty").entries
    with pytest.raises(SystemExit, match="Natural beauty"):
        find_preset("No such look")


def test_status_line_reads_like_a_health_strip() -> None:
    status = PublisherStatus(
        state=PublisherState.LIVE,
        level=LEVELS[Condition.GOOD],
        network="good",
        rtt_ms=42.4,
        loss_pct=1.25,
        bitrate_kbps=1800,
        fps=30,
    )
    line = describe(status)
    assert "live" in line and "HD (720p)" in line and "30 fps" in line
    assert "1800 kbps" in line and "42 ms" in line and "1.2%" in line
