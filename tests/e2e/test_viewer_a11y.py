"""The viewer page for keyboard and screen-reader users: named controls, a sane tab order."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import FOCUSED, open_viewer
from tests.servers import LiveServer

pytestmark = pytest.mark.timeout(180)


async def test_every_control_is_named_and_reachable_with_tab(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        alice, bob = await register(client), await register(client)
        fan = await register(client, coins=100)
        battle = await alice.data(
            "POST", "/api/pk-battles", json={"opponent": bob.id, "duration": 5}
        )
        await bob.data("POST", f"/api/pk-battles/{battle['id']}/accept")
        product = await alice.data(
            "POST", "/api/products", json={"name": "Cap", "price": 20, "stock": 5}
        )
        session = await alice.data("POST", "/api/live-shopping", json={"title": "Caps"})
        base = f"/api/live-shopping/{session['id']}"
        await alice.data("POST", f"{base}/start")
        await alice.data("POST", f"{base}/products", json={"productId": product["id"]})
        await alice.data("POST", f"{base}/products/pin", json={"productId": product["id"]})

        viewer = await open_viewer(browser, server.url, alice.username, token=fan.token)
        page = viewer.page
        await page.locator(".product-name").get_by_text("Cap").wait_for()
        await page.get_by_role("radio", name=bob.username).wait_for()

        tree = await page.locator("body").aria_snapshot()
        unnamed = [
            line for line in tree.splitlines() if re.search(r"- (button|textbox|combobox)$", line)
        ]
        assert unnamed == [], tree
        assert re.search(r'timer "Battle time left"', tree), tree
        assert re.search(r'img "Score: .+ 0, .+ 0"', tree), tree

        seen = []
        for _ in range(40):
            await page.keyboard.press("Tab")
            seen.append(await page.evaluate(FOCUSED))
        assert seen[0] == "Skip to gifts"
        for wanted in ("Buy now", "Voucher", "Send Rose, 1 coin each"):
            assert wanted in seen, seen
        assert "Tap to unmute" not in seen  # neither host is live: no sound to turn on
        assert seen.index("Buy now") < seen.index("Send Rose, 1 coin each")  # visual order

        await page.get_by_role("button", name="Send Rose, 1 coin each").focus()
        await page.keyboard.press("Enter")
        await page.locator("#gift-status").get_by_text("Sent Rose").wait_for()
        assert viewer.errors == []
