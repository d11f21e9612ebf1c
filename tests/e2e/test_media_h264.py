"""H264 end to end: a publisher asked for H264 offers only H264; the SFU forwards it as is, and
both an aiortc viewer and headless Chromium decode the right frames."""

from __future__ import annotations

import httpx
import pytest

from studio.core.subscriber import WhepPlayer
from tests.backend.api_helpers import register
from tests.e2e.test_media_browser import AUTOPLAY, markers
from tests.e2e.viewer_helpers import chromium
from tests.helpers_media import Collector, live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = pytest.mark.usefixtures("loopback_ice")


async def test_an_h264_stream_plays_in_aiortc_and_chromium(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, viewer = await register(client), await register(client)
    async with live_publisher(server.url, alice.username, alice.token, codec="h264") as publisher:
        stream = server.app.state.media.streams[alice.username]
        assert stream.codecs["video"].mimeType == "video/H264"
        player = WhepPlayer(f"{server.url}/whep/{alice.username}", token=viewer.token)
        await player.start()
        assert player.video is not None
        video = Collector(player.video).start()
        try:
            await video.wait_for(lambda: len(video.markers) >= 20)
        finally:
            await video.stop()
            await player.stop()
        assert video.markers == sorted(video.markers)
        assert max(video.markers) <= max(publisher.flow.source.captured)  # type: ignore[attr-defined]

        async with chromium(AUTOPLAY) as browser:
            page = await browser.new_page()
            await page.goto(f"{server.url}/watch/{alice.username}")
            seen = await markers(page, 5)
        assert seen == sorted(seen)
