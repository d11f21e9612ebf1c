"""Gifts on every live and the coin shop, in Debian's Chromium against a real backend: a gift
outside a battle reaches the streamer's wallet and shows on the page (a streamer who is not
live takes none, and the page says why); a sandbox checkout credits its coins once, even with
its webhook delivered again."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import backend.api.coins as coins_api
from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import open_viewer
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(180)]


async def test_a_gift_outside_a_battle_reaches_the_streamer_and_shows_on_the_page(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        streamer = await register(client, name="gwen_live")
        fan = await register(client, name="gift_fan", coins=100)
        async with chromium() as browser:
            sender = await open_viewer(browser, server.url, streamer.username, token=fan.token)
            watcher = await open_viewer(browser, server.url, streamer.username)  # a guest
            page = sender.page
            await page.locator("#gift-hint").get_by_text("Gifts go to gwen_live.").wait_for()
            await page.get_by_role("button", name="Send Star, 10 coins each").click()
            offline = page.locator("#gift-status").get_by_text("gwen_live isn't live right now")
            await offline.wait_for()  # not live yet: nothing sent, and the page says so
            assert "no coins were spent" in await offline.inner_text()
            await page.locator("#gift-balance").get_by_text("100 coins").wait_for()
            async with live_publisher(
                server.url, streamer.username, streamer.token, size=(160, 90)
            ):
                await page.locator("#gift-quantity").select_option("5")
                await page.get_by_role("button", name="Send Star, 10 coins each").click()
                sent = page.locator("#gift-status").get_by_text("Sent Star ×5 to gwen_live.")
                await sent.wait_for()
                await page.locator("#gift-balance").get_by_text("50 coins").wait_for()
                for viewer in (sender, watcher):  # the animation, the feed and the chat line
                    other = viewer.page
                    burst = other.locator("#gift-bursts .burst--live").first
                    await burst.wait_for(state="attached")
                    feed = other.locator("#feed-list").get_by_text("sent Star ×5 to gwen_live")
                    await feed.wait_for()
                    line = other.locator("#chat-list").get_by_text("gift_fan sent 5× Star")
                    await line.wait_for()
            assert sender.errors == [] and watcher.errors == []
        wallet = await streamer.data("GET", "/api/wallet")
        assert wallet["coins"] == 50 and wallet["history"][0]["kind"] == "gift:received"
        income = await streamer.data(
            "GET", "/api/gifts/income", params={"since": "2020-01-01T00:00:00Z"}
        )
        assert income["coins"] == 50 and income["topGifters"][0]["username"] == "gift_fan"


async def test_a_sandbox_checkout_in_the_browser_credits_coins_once(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch, chromium: Chromium
) -> None:
    delivered: list[tuple[bytes, dict[str, str]]] = []
    deliver = coins_api.deliver

    async def recorded(request: Any, body: bytes, headers: dict[str, str]) -> None:
        delivered.append((body, headers))  # what the sandbox sent, to send again below
        await deliver(request, body, headers)

    monkeypatch.setattr(coins_api, "deliver", recorded)
    async with httpx.AsyncClient(base_url=server.url) as client:
        streamer = await register(client, name="hana_live")
        buyer = await register(client, name="coin_buyer")
        async with (
            live_publisher(server.url, streamer.username, streamer.token, size=(160, 90)),
            chromium() as browser,
        ):
            viewer = await open_viewer(browser, server.url, streamer.username, token=buyer.token)
            page = viewer.page
            await page.locator("#gift-hint").get_by_text("Gifts go to hana_live.").wait_for()
            await page.get_by_role("button", name="Send Rose, 1 coin each").click()
            shop = page.get_by_role("dialog", name="Get coins")
            await shop.get_by_text("Not enough coins").wait_for()
            await shop.get_by_text("Sandbox checkout: a test payment").wait_for()
            await shop.get_by_role("button", name="Buy 550 coins for $4.99").click()

            await page.wait_for_url("**/coins/sandbox/**")
            await page.get_by_role("heading", name="550 coins").wait_for()
            checkout_url = page.url
            await page.get_by_role("button", name="Pay $4.99").click()
            await page.wait_for_url(f"**/watch/{streamer.username}")  # ?coins=… read and dropped
            status = page.locator("#coin-status")
            await status.get_by_text("550 coins added to your balance.").wait_for()
            await page.locator("#gift-balance").get_by_text("550 coins").wait_for()

            # The webhook again, twice, exactly as delivered; and the checkout page revisited.
            assert len(delivered) == 1
            body, headers = delivered[0]
            for _ in range(2):
                again = await client.post(
                    "/api/coins/webhook/sandbox", content=body, headers=headers
                )
                assert again.json()["data"]["duplicate"] is True
            await page.goto(checkout_url)
            await page.get_by_text("This checkout is paid.").wait_for()
            assert await page.get_by_role("button", name="Pay $4.99").count() == 0

            await page.goto(f"{server.url}/watch/{streamer.username}")
            await page.locator("#gift-balance").get_by_text("550 coins").wait_for()
            await page.get_by_role("button", name="Send Rose, 1 coin each").click()
            await page.locator("#gift-status").get_by_text("Sent Rose to hana_live.").wait_for()
            assert viewer.errors == []
        wallet = await buyer.data("GET", "/api/wallet")
        assert wallet["coins"] == 549
        assert [h["kind"] for h in wallet["history"]] == ["gift:sent", "coins:purchase"]


async def test_a_cancelled_checkout_says_so_and_credits_nothing(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        streamer = await register(client, name="ivo_live")
        buyer = await register(client)
        async with chromium() as browser:
            viewer = await open_viewer(browser, server.url, streamer.username, token=buyer.token)
            page = viewer.page
            await page.get_by_role("button", name="Get coins").click()
            await page.get_by_role("button", name="Buy 100 coins for $0.99").click()
            await page.get_by_role("button", name="Cancel").click()
            await page.locator("#coin-status").get_by_text("Checkout cancelled").wait_for()
            assert viewer.errors == []
        assert (await buyer.data("GET", "/api/wallet"))["coins"] == 0
