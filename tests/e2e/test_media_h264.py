"""H264 end to end: a publisher asked for H264 offers only H264; the SFU forwards it as is, and
both an aiortc viewer and headless Chromium decode the right frames."""

from __future__ import annotations

import httpx
import pytest

from studio.core.sources import SampleSource
from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.test_media_browser import AUTOPLAY, markers
from tests.helpers_media import live_publisher, loopback_ice, played_markers  # noqa: F401
from tests.servers import LiveServer

pytestmark = pytest.mark.usefixtures("loopback_ice")


async def test_an_h264_stream_plays_in_aiortc_and_chromium(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, viewer = await register(client), await register(client)
    source = SampleSource(640, 360, fps=30.0, marker=True)
    async with live_publisher(server.url, alice.username, alice.token, codec="h264", source=source):
        stream = server.app.state.media.streams[alice.username]
        assert stream.codecs["video"].mimeType == "video/H264"
        played = await played_markers(f"{server.url}/whep/{alice.username}", viewer.token, 20)
        assert played == sorted(played)
        assert max(played) <= max(source.captured)

        async with chromium(AUTOPLAY) as browser:
            page = await browser.new_page()
            await page.goto(f"{server.url}/watch/{alice.username}")
            seen = await markers(page, 5)
        assert seen == sorted(seen)
