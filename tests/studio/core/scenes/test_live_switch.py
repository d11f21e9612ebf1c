"""Switching scenes while live: an aiortc WHEP viewer sees the new scene promptly.

The camera (the marked sample clip) is in both scenes, so every decoded frame carries the
number of the camera frame it was composed with, and so the time that frame was captured.
Scene B also covers the bottom half with green. The switch is prompt when every frame the
viewer decodes that was composed from a camera frame captured more than 300 ms after the
switch shows all of B (source time, as in the latency bench: a loaded machine that delivers
fewer frames does not make the switch itself slower).
"""

from __future__ import annotations

import asyncio
import time

import av
import httpx
import numpy as np
import pytest
from aiortc import MediaStreamTrack

from studio.core.marker import read_marker
from studio.core.scenes.model import SceneCollection, Transform, Transition
from studio.core.sources import SampleSource
from studio.core.subscriber import WhepPlayer
from tests.backend.api_helpers import register
from tests.helpers_media import live_broadcast, loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = pytest.mark.usefixtures("loopback_ice")

WIDTH, HEIGHT = 1280, 720
SWITCH_BUDGET_S = 0.3


def two_scenes(transition: Transition) -> tuple[SceneCollection, str]:
    collection = SceneCollection(canvas="1280x720", transition=transition)
    camera = collection.add_source("camera", "Camera")
    green = collection.add_source("color", "Green", {"color": "#00ff00"})
    full = Transform.filling(WIDTH, HEIGHT)
    a = collection.add_scene("A")
    collection.add_layer(a.id, camera.id, full)
    b = collection.add_scene("B")
    collection.add_layer(b.id, camera.id, full)
    collection.add_layer(b.id, green.id, Transform(0, HEIGHT // 2, WIDTH, HEIGHT // 2))
    return collection, b.id


def green_share(image: np.ndarray) -> float:
    """How much of the bottom half is green (loosely: a starved encoder blurs colours)."""
    bottom = image[image.shape[0] // 2 + 16 :].astype(np.int16)
    green = (bottom[..., 1] > 150) & (bottom[..., 0] < 110) & (bottom[..., 2] < 110)
    return float(green.mean())


@pytest.mark.parametrize("transition", [Transition.CUT, Transition.FADE])
async def test_a_scene_switch_while_live_reaches_the_viewer(
    server: LiveServer, transition: Transition
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        streamer = await register(client)
    collection, scene_b = two_scenes(transition)
    camera = SampleSource(WIDTH, HEIGHT, fps=30.0, marker=True)
    seen: list[tuple[float, float]] = []  # (camera frame's capture time, green share)
    async with live_broadcast(
        server.url, streamer.username, streamer.token, source=camera, scenes=collection, audio=None
    ):
        player = WhepPlayer(f"{server.url}/whep/{streamer.username}", token=streamer.token)
        await player.start()
        assert player.video is not None
        switched_at = 0.0

        async def watch(track: MediaStreamTrack) -> None:
            nonlocal switched_at
            while not switched_at or sum(at > switched_at + SWITCH_BUDGET_S for at, _ in seen) < 10:
                frame = await track.recv()
                assert isinstance(frame, av.VideoFrame)
                image = np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
                marker = read_marker(image)
                if marker is not None and marker in camera.captured:
                    seen.append((camera.captured[marker], green_share(image)))
                if len(seen) == 20:
                    switched_at = time.monotonic()
                    collection.switch(scene_b)

        try:
            await asyncio.wait_for(watch(player.video), 30)
        finally:
            await player.stop()
    assert all(share < 0.1 for at, share in seen if at < switched_at)  # scene A: no green
    late = [share for at, share in seen if at > switched_at + SWITCH_BUDGET_S]
    assert late and all(share > 0.9 for share in late)  # only scene B, all of it
    first = min(at for at, share in seen if share > 0.9)
    print(f"{transition}: B on air in frames captured {(first - switched_at) * 1000:.0f} ms on")
