"""Switching scenes while live: Debian's Chromium on the viewer page sees the new scene within
300 ms, measured as the aiortc viewer's test does (tests/studio/core/scenes/test_live_switch.py):
the camera (the marked sample clip) is in both scenes, so each frame the page shows carries
the number of the camera frame it was composed with, and so when that frame was captured.
Every frame the page shows that was composed from a camera frame captured more than 300 ms
after the switch must show all of scene B (its green bottom half), none before it."""

from __future__ import annotations

import asyncio
import base64
import time

import cv2
import httpx
import numpy as np
import pytest
from playwright.async_api import Page

from studio.core.marker import read_marker
from studio.core.scenes.model import Transition
from studio.core.sources import SampleSource
from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.test_media_browser import AUTOPLAY, GRAB_FRAME
from tests.helpers_media import live_broadcast, loopback_ice  # noqa: F401
from tests.servers import LiveServer
from tests.studio.core.scenes.test_live_switch import (
    HEIGHT,
    SWITCH_BUDGET_S,
    WIDTH,
    green_share,
    two_scenes,
)

pytestmark = pytest.mark.usefixtures("loopback_ice")


async def shown_frame(page: Page) -> np.ndarray | None:
    """The frame the page's video shows now (None before the first)."""
    url = await page.evaluate(GRAB_FRAME)
    if not url:
        return None
    data = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8)
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), np.uint8)


async def test_chromium_on_the_viewer_page_sees_a_scene_switch_within_300_ms(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        streamer = await register(client)
    collection, scene_b = two_scenes(Transition.CUT)
    camera = SampleSource(WIDTH, HEIGHT, fps=30.0, marker=True)
    seen: list[tuple[float, float]] = []  # (camera frame's capture time, green share)
    async with (
        live_broadcast(
            server.url,
            streamer.username,
            streamer.token,
            source=camera,
            scenes=collection,
            audio=None,
        ),
        chromium(AUTOPLAY) as browser,
    ):
        page = await browser.new_page()
        await page.goto(f"{server.url}/watch/{streamer.username}")
        switched_at = 0.0

        async def watch() -> None:
            nonlocal switched_at
            while not switched_at or sum(at > switched_at + SWITCH_BUDGET_S for at, _ in seen) < 10:
                image = await shown_frame(page)
                marker = read_marker(image) if image is not None else None
                captured = camera.captured.get(marker) if marker is not None else None
                if (
                    image is not None
                    and captured is not None
                    and (not seen or seen[-1][0] != captured)
                ):
                    seen.append((captured, green_share(image)))
                if len(seen) == 10 and not switched_at:
                    switched_at = time.monotonic()
                    collection.switch(scene_b)
                await asyncio.sleep(0.02)

        await asyncio.wait_for(watch(), 60)
    assert all(share < 0.1 for at, share in seen if at < switched_at)  # scene A: no green
    late = [share for at, share in seen if at > switched_at + SWITCH_BUDGET_S]
    assert late and all(share > 0.9 for share in late)  # only scene B, all of it
    first = min(at for at, share in seen if share > 0.9)
    print(f"Chromium: B on air in frames captured {(first - switched_at) * 1000:.0f} ms on")
