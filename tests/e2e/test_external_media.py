"""Media on a dedicated node: the backend names it by URL, the studio and the viewer page follow.

Two backends share one SQLite file and one JWT secret: the main one (REST, WebSocket, viewer
page) is configured with absolute WHIP/WHEP templates pointing at the other, which acts as the
media node (any WHIP/WHEP server would do). Both run in this process so the loopback ICE fixture
reaches their aiortc peers.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from playwright.async_api import Page, Response

from backend.settings import Settings
from studio.core.headless import go_live
from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import FRAMES_DECODED, open_viewer
from tests.helpers_media import loopback_ice  # noqa: F401  (fixture)
from tests.servers import free_port, running_server

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(180)]


async def test_studio_publishes_to_and_viewers_play_from_a_dedicated_media_node(
    settings: Settings,
    chromium: Chromium,
) -> None:
    main_port, media_port = free_port(), free_port()
    main_url, media_url = f"http://127.0.0.1:{main_port}", f"http://127.0.0.1:{media_port}"
    media_settings = settings.with_overrides(port=media_port, cors_origins=(main_url,))
    main_settings = settings.with_overrides(
        port=main_port,
        whip_url_template=f"{media_url}/whip/{{stream}}",
        whep_url_template=f"{media_url}/whep/{{stream}}",
    )
    with running_server(media_settings) as node, running_server(main_settings) as main:
        async with httpx.AsyncClient(base_url=main.url) as client:
            alice = await register(client)
            stream = alice.username
            config = await alice.data("GET", "/api/media/config")
            assert config["whip"] == f"{media_url}/whip/{{stream}}"
            studio = asyncio.create_task(
                go_live(main.url, stream, "correct horse", size=(320, 180))
            )
            try:
                # The studio went live on the media node, not on the main backend.
                streams = node.app.state.media.streams
                for _ in range(300):
                    if (stream in streams and streams[stream].live) or studio.done():
                        break
                    await asyncio.sleep(0.1)
                assert not studio.done(), studio.exception()
                assert streams[stream].live
                assert stream not in main.app.state.media.streams
                snapshot = await alice.data("GET", f"/api/streams/{stream}")
                assert snapshot["whepUrl"] == f"{media_url}/whep/{stream}"

                async with chromium() as browser:
                    patches: list[Response] = []

                    async def note_patches(page: Page) -> None:
                        page.on(
                            "response",
                            lambda r: patches.append(r) if r.request.method == "PATCH" else None,
                        )

                    viewer = await open_viewer(browser, main.url, stream, before_load=note_patches)
                    page = viewer.page
                    await page.wait_for_function(
                        "() => document.querySelector('.tile')?.dataset.state === 'playing'",
                        timeout=30_000,
                    )
                    decoded = await asyncio.wait_for(page.evaluate(FRAMES_DECODED, 10), 30)
                    assert decoded["frames"] == 10 and decoded["width"] == 320
                    # The page's WHEP session lives on the media node.
                    assert len(node.app.state.media.streams[stream].viewers) == 1
                    assert not main.app.state.media.sessions
                    # Its ICE candidates trickled there too (CORS lets the page read
                    # Accept-Patch and ETag and send If-Match).
                    for _ in range(100):
                        if patches:
                            break
                        await asyncio.sleep(0.05)
                    assert patches and all(r.url.startswith(media_url) for r in patches)
                    assert all(r.status == 204 for r in patches)
                    assert viewer.errors == []
            finally:
                studio.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await asyncio.wait_for(studio, 30)
