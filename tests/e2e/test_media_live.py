"""Going live end to end: studio publisher (sample source, beauty filters, marker) → backend
SFU → viewers."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from studio.core.effects_chain import EffectsChain
from studio.core.sources import SampleSource
from studio.core.subscriber import WhepPlayer
from tests.backend.api_helpers import register
from tests.helpers_media import Collector, dominant_frequency, live_broadcast, loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = pytest.mark.usefixtures("loopback_ice")


async def guest_token(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/auth/guest")
    assert response.status_code < 300, response.text
    return str(response.json()["data"]["token"])


async def test_publisher_to_aiortc_viewer_frames_are_the_right_ones(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
        token = await guest_token(client)
    beauty = EffectsChain()
    for effect in ("beauty.smooth", "beauty.brighten", "beauty.whiten"):
        beauty.set_enabled(effect, True)
    source = SampleSource(640, 360, fps=30.0, marker=True)
    async with live_broadcast(server.url, alice.username, alice.token, chain=beauty, source=source):
        player = WhepPlayer(f"{server.url}/whep/{alice.username}", token=token)
        await player.start()
        assert player.video is not None and player.audio is not None
        video = Collector(player.video).start()
        audio = Collector(player.audio).start()
        try:
            await video.wait_for(lambda: len(video.markers) >= 30)
            await audio.wait_for(lambda: len(audio.audio) >= 50)
        finally:
            await video.stop()
            await audio.stop()
            await player.stop()
        assert video.markers == sorted(video.markers)  # in order, none from the past
        assert len(set(video.markers)) == len(video.markers)
        assert max(video.markers) <= max(source.captured)
        tone = np.concatenate(audio.audio[-25:])
        assert abs(dominant_frequency(tone) - 440.0) < 10.0
        assert beauty.pipeline.total.samples and not beauty.pipeline.failures  # they ran
        media = server.app.state.media
        stream = media.streams[alice.username]
        assert stream.codecs["video"].mimeType == "video/VP8"
        assert stream.fanouts["video"].packets_in > 0
