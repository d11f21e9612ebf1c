"""Headless Chromium plays /watch/{stream}: the right frames, the tone, and recovery."""

from __future__ import annotations

import asyncio
import base64
import contextlib

import cv2
import httpx
import numpy as np
import pytest
from playwright.async_api import Page

from backend.settings import Settings
from studio.core.marker import read_marker
from studio.core.sources import SampleSource
from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import free_port, running_server

AUTOPLAY = "--autoplay-policy=no-user-gesture-required"
pytestmark = [
    pytest.mark.usefixtures("loopback_ice"),
]

GRAB_FRAME = """() => {
  const video = [...document.querySelectorAll('video')].find(v => v.videoWidth > 0);
  if (!video) return null;
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  return canvas.toDataURL('image/png');
}"""

LISTEN = """() => new Promise((resolve) => {
  const video = [...document.querySelectorAll('video')].find(v => v.srcObject);
  const stream = video.srcObject;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  context.createMediaStreamSource(stream).connect(analyser);
  context.resume();
  setTimeout(() => {
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    let peak = 0;
    for (let i = 1; i < bins.length; i++) if (bins[i] > bins[peak]) peak = i;
    resolve({frequency: peak * context.sampleRate / analyser.fftSize, level: bins[peak]});
  }, 1500);
})"""


async def markers(page: Page, count: int, timeout: float = 20.0, above: int = -1) -> list[int]:
    """``count`` distinct marker values read from the page's video, each greater than ``above``."""
    seen: list[int] = []

    async def collect() -> None:
        while len(seen) < count:
            url = await page.evaluate(GRAB_FRAME)
            if url:
                png = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8)
                image = np.asarray(cv2.imdecode(png, cv2.IMREAD_COLOR), np.uint8)
                value = read_marker(image)
                if value is not None and value > above and (not seen or value != seen[-1]):
                    seen.append(value)
            await asyncio.sleep(0.05)

    await asyncio.wait_for(collect(), timeout)
    return seen


async def test_chromium_plays_the_watch_page_and_recovers_after_a_backend_restart(
    settings: Settings,
    chromium: Chromium,
) -> None:
    settings = settings.with_overrides(port=free_port())
    first, second = contextlib.ExitStack(), contextlib.ExitStack()
    live = await asyncio.to_thread(first.enter_context, running_server(settings))
    async with httpx.AsyncClient(base_url=live.url) as client:
        alice = await register(client)
    source = SampleSource(640, 360, fps=30.0, marker=True)
    try:
        async with (
            live_publisher(live.url, alice.username, alice.token, source=source) as publisher,
            chromium(AUTOPLAY) as browser,
        ):
            page = await browser.new_page()
            await page.goto(f"{live.url}/watch/{alice.username}")
            await page.evaluate("() => { window.sameDocument = true; }")
            before = await markers(page, 5)
            assert before == sorted(before)
            assert max(before) <= max(source.captured)
            heard = await page.evaluate(LISTEN)
            assert abs(heard["frequency"] - 440.0) < 15.0, heard

            await asyncio.to_thread(first.close)  # the backend goes away mid-stream
            await asyncio.sleep(1.0)
            await asyncio.to_thread(second.enter_context, running_server(settings))
            await asyncio.wait_for(publisher.wait_live(), 5.0)
            after = await markers(page, 5, timeout=30.0, above=max(before))
            assert after == sorted(after)  # new frames, in the same document
            assert await page.evaluate("() => window.sameDocument === true")
    finally:
        await asyncio.to_thread(second.close)
        await asyncio.to_thread(first.close)
