"""A vertical stream (a phone-first canvas) stands upright on the viewer page: the stage takes
the stream's shape, on a wide window and on a phone, and the picture fills it; a wide stream
keeps the wide stage."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page

from studio.core.sources import SampleSource
from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import DESKTOP, PHONE, open_viewer
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(180)]

PLAYING = """() => {
  const video = document.querySelector('.tile video');
  return Boolean(video && video.videoWidth > 16);  // a real picture, not a first blank one
}"""

BOXES = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const video = document.querySelector('.tile video');
  return {stage: box(document.getElementById('stage')), video: [video.videoWidth,
    video.videoHeight], page: [innerWidth, innerHeight]};
}"""


async def boxes_once_playing(page: Page) -> dict[str, list[float]]:
    await page.wait_for_function(PLAYING, timeout=60_000)
    await page.wait_for_timeout(200)  # the stage follows the video's size
    boxes: dict[str, list[float]] = await page.evaluate(BOXES)
    return boxes


@pytest.mark.parametrize("size", [(360, 640), (640, 360)], ids=["vertical", "wide"])
async def test_the_stage_takes_the_shape_of_the_stream(
    server: LiveServer, size: tuple[int, int], chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        streamer = await register(client)
    source = SampleSource(*size, fps=15.0)
    async with (
        live_publisher(server.url, streamer.username, streamer.token, source=source, audio=None),
        chromium() as browser,
    ):
        for viewport in (DESKTOP, PHONE):
            viewer = await open_viewer(browser, server.url, streamer.username, viewport=viewport)
            boxes = await boxes_once_playing(viewer.page)
            (width, height), (page_width, page_height) = boxes["stage"], boxes["page"]
            video_width, video_height = boxes["video"]  # (scaled down on a busy link)
            assert (video_height > video_width) == (size[1] > size[0])
            if size[1] > size[0]:
                assert height / width == pytest.approx(16 / 9, rel=0.02)  # upright, not barred
                assert width <= page_width and height <= page_height
            else:
                assert width / height == pytest.approx(16 / 9, rel=0.02)
            await viewer.page.context.close()
