"""The viewer page plays a live stream from the studio-core publisher and recovers by itself."""

from __future__ import annotations

import httpx
import pytest

from tests.backend.api_helpers import register
from tests.e2e.viewer_helpers import FRAMES_DECODED, chromium, open_viewer
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(90)]


async def test_the_page_plays_a_live_stream_and_shows_when_it_drops(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:
        viewer = await open_viewer(browser, server.url, alice.username)
        page = viewer.page
        tile = page.locator(".tile")
        await tile.get_by_text("is not live yet").wait_for()  # not live yet: said in words
        async with live_publisher(server.url, alice.username, alice.token, size=(320, 180)):
            await page.wait_for_function(
                "() => document.querySelector('.tile').dataset.state === 'playing'",
                timeout=20_000,
            )
            decoded = await page.evaluate(FRAMES_DECODED, 15)
            assert decoded["frames"] == 15 and decoded["width"] == 320
            assert await page.locator("#live-badge").text_content() in ("Live", "Offline")

            # Muted autoplay; one clear button turns the sound on.
            video = page.locator(".tile video")
            assert await video.evaluate("v => v.muted && !v.paused")
            unmute = page.get_by_role("button", name="Tap to unmute")
            await unmute.click()
            assert await video.evaluate("v => !v.muted")
            assert await page.locator("#unmute").get_attribute("aria-pressed") == "true"
        # The publisher went away: the tile says so instead of freezing on the last frame.
        await page.wait_for_function(
            "() => ['reconnecting', 'offline'].includes("
            "document.querySelector('.tile').dataset.state)",
            timeout=15_000,
        )
        assert await tile.locator(".tile-state").is_visible()
        async with live_publisher(server.url, alice.username, alice.token, size=(320, 180)):
            await page.wait_for_function(
                "() => document.querySelector('.tile').dataset.state === 'playing'",
                timeout=20_000,
            )
            assert (await page.evaluate(FRAMES_DECODED, 5))["frames"] == 5
        assert viewer.errors == []


async def test_the_viewer_count_follows_pages_opening_and_closing(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:
        first = await open_viewer(browser, server.url, alice.username)
        count = first.page.locator("#viewer-count")
        await count.get_by_text("1 watching").wait_for()
        second = await open_viewer(browser, server.url, alice.username)
        await count.get_by_text("2 watching").wait_for()
        assert await count.get_attribute("aria-label") == "2 viewers watching"
        await second.page.context.close()
        await count.get_by_text("1 watching").wait_for()


async def test_an_unknown_stream_says_so(server: LiveServer) -> None:
    async with chromium() as browser:
        viewer = await open_viewer(browser, server.url, "nobody-here")
        await viewer.page.get_by_text("There is no stream called 'nobody-here'.").wait_for()
        assert await viewer.page.locator("h1").text_content() == "Stream not found"
