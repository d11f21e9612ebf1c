"""After the backend drops, the page says so, reconnects, rejoins its rooms and refetches state."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from backend.settings import Settings
from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import open_viewer
from tests.servers import free_port, running_server

pytestmark = pytest.mark.timeout(180)


async def test_the_page_recovers_its_live_state_after_a_backend_restart(
    settings: Settings,
    chromium: Chromium,
) -> None:
    settings = settings.with_overrides(port=free_port())
    first, second = contextlib.ExitStack(), contextlib.ExitStack()
    live = await asyncio.to_thread(first.enter_context, running_server(settings))
    try:
        async with httpx.AsyncClient(base_url=live.url) as client, chromium() as browser:
            alice, bob = await register(client), await register(client)
            fan = await register(client, coins=100)
            battle = await alice.data(
                "POST", "/api/pk-battles", json={"opponent": bob.id, "duration": 5}
            )
            await bob.data("POST", f"/api/pk-battles/{battle['id']}/accept")
            viewer = await open_viewer(browser, live.url, alice.username)
            page = viewer.page
            await page.locator("#pk").wait_for(state="visible")
            banner = page.locator("#connection")
            assert await banner.is_hidden()

            await asyncio.to_thread(first.close)
            await banner.get_by_text("Connection lost. Reconnecting…").wait_for(timeout=10_000)
            await asyncio.to_thread(second.enter_context, running_server(settings))
            await banner.wait_for(state="hidden", timeout=15_000)

            # Back in the battle's room: a new gift reaches the page as an event.
            await fan.data(
                "POST",
                f"/api/pk-battles/{battle['id']}/gift",
                json={"giftId": "star", "quantity": 3, "toHost": bob.id},
            )
            await page.locator("#pk-score-host2").get_by_text("30").wait_for(timeout=5_000)
            await page.locator("#feed-list").get_by_text("sent Star ×3").wait_for()
            assert viewer.errors == []
    finally:
        await asyncio.to_thread(second.close)
        await asyncio.to_thread(first.close)
