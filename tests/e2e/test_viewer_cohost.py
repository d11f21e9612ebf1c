"""Co-host layouts on the viewer page follow the shared layout state the studio changes."""

from __future__ import annotations

import httpx
import pytest

from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import open_viewer
from tests.servers import LiveServer

pytestmark = pytest.mark.timeout(180)

MAIN_TILE = "() => document.querySelector('.tile.is-main')?.dataset.stream"


async def test_layout_changes_made_through_the_api_re_render_the_page(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        alice, bob, carol = [await register(client) for _ in range(3)]
        session = await alice.data(
            "POST", "/api/multihost", json={"title": "Panel", "type": "panel", "layout": "grid"}
        )
        base = f"/api/multihost/{session['id']}"
        await alice.data("POST", f"{base}/start")
        for guest in (bob, carol):
            await alice.data("POST", f"{base}/invite", json={"userId": guest.id})
            await guest.data("POST", f"{base}/accept")

        viewer = await open_viewer(browser, server.url, alice.username)
        page = viewer.page
        stage = page.locator("#stage")
        await page.wait_for_function(
            "() => document.querySelectorAll('.tile').length === 3"
            " && document.getElementById('stage').dataset.mode === 'grid'"
        )
        assert await stage.get_attribute("data-variant") == "2x2"
        names = await page.locator(".tile-name").all_text_contents()
        assert sorted(names) == sorted([alice.username, bob.username, carol.username])

        await alice.data("PUT", f"{base}/layout", json={"mode": "spotlight", "mainHostId": bob.id})
        await page.wait_for_function(
            "() => document.getElementById('stage').dataset.mode === 'spotlight'", timeout=5_000
        )
        assert await page.evaluate(MAIN_TILE) == bob.username

        await alice.data("PUT", f"{base}/layout", json={"mode": "pip", "mainHostId": carol.id})
        await page.wait_for_function(
            "() => document.getElementById('stage').dataset.mode === 'pip'", timeout=5_000
        )
        assert await page.evaluate(MAIN_TILE) == carol.username
        overlay = page.locator(f'.tile[data-stream="{alice.username}"]')
        box = await overlay.bounding_box()
        stage_box = await stage.bounding_box()
        assert box is not None and stage_box is not None
        assert box["width"] < stage_box["width"] / 3  # a small overlay, not a tile of the grid

        await bob.data("PUT", f"{base}/settings", json={"audioEnabled": False})
        bob_tile = page.locator(f'.tile[data-stream="{bob.username}"]')
        await bob_tile.get_by_role("img", name="Microphone muted").wait_for()
        await carol.data("PUT", f"{base}/settings", json={"videoEnabled": False})
        await page.locator(f'.tile.is-cam-off[data-stream="{carol.username}"]').wait_for()

        await bob.data("POST", f"{base}/leave")
        await bob_tile.wait_for(state="detached", timeout=10_000)
        await alice.data("POST", f"{base}/end")
        await page.wait_for_function(
            "() => document.getElementById('stage').dataset.mode === 'single'", timeout=10_000
        )
        assert await page.locator(".tile").count() == 1
        assert viewer.errors == []
