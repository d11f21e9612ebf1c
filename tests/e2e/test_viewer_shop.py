"""Live shopping on the viewer page: flash sale, voucher, buying, sold out on every viewer, XSS."""

from __future__ import annotations

import httpx
import pytest

from tests.backend.api_helpers import ApiUser, register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import PHONE, open_viewer
from tests.servers import LiveServer

pytestmark = pytest.mark.timeout(180)
XSS = "<img src=x onerror=alert(1)>"


async def live_product(
    seller: ApiUser, *, name: str, stock: int, flash: dict | None = None, **extra: object
) -> tuple[str, str]:
    """A live session with one pinned product; returns (session id, product id)."""
    product = await seller.data(
        "POST", "/api/products", json={"name": name, "price": 100, "stock": stock, **extra}
    )
    session = await seller.data("POST", "/api/live-shopping", json={"title": "Shop"})
    base = f"/api/live-shopping/{session['id']}"
    await seller.data("POST", f"{base}/start")
    added = {"productId": product["id"], "livePrice": 80}
    if flash:
        added["flashSale"] = flash
    await seller.data("POST", f"{base}/products", json=added)
    await seller.data("POST", f"{base}/products/pin", json={"productId": product["id"]})
    return session["id"], product["id"]


async def test_buying_the_last_unit_shows_sold_out_on_both_viewers(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        seller = await register(client)
        buyer, other = await register(client, coins=500), await register(client, coins=500)
        await live_product(seller, name="Last lamp", stock=1)
    async with chromium() as browser:
        one = await open_viewer(browser, server.url, seller.username, token=buyer.token)
        two = await open_viewer(browser, server.url, seller.username, token=other.token)
        for viewer in (one, two):
            await viewer.page.locator(".stock").get_by_text("Only 1 left!").wait_for()
        page = one.page
        await page.get_by_role("button", name="Buy now").click()
        confirm = page.get_by_role("dialog")
        await confirm.get_by_text("1 × Last lamp").wait_for()
        assert "80 coins" in (await confirm.locator(".is-total").text_content() or "")
        await confirm.get_by_role("button", name="Buy now").click()
        await confirm.wait_for(state="hidden")
        status = page.locator(".order-status")
        await status.get_by_text("Order placed").wait_for()
        assert "1 × Last lamp · 80 coins" in (await status.text_content() or "")
        assert await page.locator("#account-coins").text_content() == "420"

        for viewer in (one, two):
            buy = viewer.page.locator(".btn-buy")
            await buy.get_by_text("Sold out").wait_for()
            assert await buy.is_disabled()
            assert await viewer.page.locator(".stock").text_content() == "Sold out"
        await two.page.locator("#feed-list").get_by_text("bought 1 × Last lamp").wait_for()
        assert one.errors == [] and two.errors == []


async def test_flash_price_voucher_and_order_status(server: LiveServer, chromium: Chromium) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        seller = await register(client)
        buyer = await register(client, coins=1000)
        flash = {"price": 50, "quantity": 2, "expiresIn": 120_000}
        session_id, _ = await live_product(seller, name="Mug", stock=10, flash=flash)
        voucher = {"code": "SAVE10", "type": "percent", "value": 10}
        await seller.data("POST", f"/api/live-shopping/{session_id}/vouchers", json=voucher)
        viewer = await open_viewer(browser, server.url, seller.username, token=buyer.token)
        page = viewer.page
        card = page.locator(".product")
        await card.locator(".flash-badge").wait_for()
        assert await card.locator(".price-now").text_content() == "50"
        assert await card.locator(".price-was").text_content() == "80"
        assert (await card.locator(".flash-timer").text_content() or "").startswith(("1:", "2:"))
        assert await card.locator(".flash-left").text_content() == "2 of 2 left at this price"

        await page.get_by_role("button", name="One more").click()
        await page.get_by_role("button", name="One more").click()
        assert await page.locator("#shop-qty").text_content() == "3"
        await page.get_by_label("Voucher", exact=True).fill("NOPE1")
        await page.get_by_role("button", name="Apply").click()
        await page.locator(".voucher-status[data-kind=error]").wait_for()
        await page.get_by_role("button", name="Use voucher SAVE10").click()
        await page.get_by_role("button", name="Apply").click()
        # 2 units at the flash price and 1 at the live price: 180, minus 10%.
        await page.locator(".voucher-status").get_by_text("SAVE10 applied: −18 coins.").wait_for()
        async with page.expect_response(lambda r: r.url.endswith("/checkout")) as checkout:
            await page.get_by_role("button", name="Buy now").click()
        assert (await (await checkout.value).json())["data"]["total"] == 162
        confirm = page.get_by_role("dialog")
        assert "162 coins" in (await confirm.locator(".is-total").text_content() or "")
        shop = await seller.data("GET", f"/api/live-shopping/{session_id}")
        assert shop["vouchers"][0]["used"] == 1  # held for this buyer while they confirm
        await confirm.get_by_role("button", name="Buy now").click()
        status = page.locator(".order-status")
        await status.get_by_text("Order placed").wait_for()
        assert "3 × Mug · 162 coins (saved 18 coins)" in (await status.text_content() or "")
        await card.locator(".flash-badge").wait_for(state="hidden")  # sold through
        assert await card.locator(".price-now").text_content() == "80"

        orders = await seller.data("GET", f"/api/live-shopping/{session_id}/orders")
        order_id = orders[0]["id"]
        await seller.data(
            "PUT",
            f"/api/live-shopping/{session_id}/orders/{order_id}",
            json={"status": "fulfilled"},
        )
        await status.get_by_text("Shipped").wait_for()
        assert viewer.errors == []


async def test_user_supplied_text_is_shown_as_text(server: LiveServer, chromium: Chromium) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(
            "/api/auth/register",
            json={"username": "xss_seller", "password": "correct horse", "displayName": XSS},
        )
        seller_data = response.json()["data"]
        seller = ApiUser(client, seller_data["user"]["id"], "xss_seller", seller_data["token"])
        await live_product(seller, name=XSS, stock=5, description=f"<script>{XSS}</script>")
    async with chromium() as browser:
        viewer = await open_viewer(browser, server.url, seller.username, viewport=PHONE)
        page = viewer.page
        name = page.locator(".product-name")
        await name.wait_for()
        assert await name.text_content() == XSS
        assert await page.locator("h1").text_content() == XSS
        assert await page.locator(".product-desc").text_content() == f"<script>{XSS}</script>"
        assert await page.locator(".tile-name").text_content() == XSS
        assert await page.locator("main img[src=x], main script").count() == 0
        await page.wait_for_timeout(300)
        assert viewer.dialogs == [] and viewer.errors == []


async def test_checkout_says_before_confirming_that_the_buyer_cannot_pay(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        seller, buyer = await register(client), await register(client, coins=30)
        await live_product(seller, name="Lamp", stock=5)
    async with chromium() as browser:
        viewer = await open_viewer(browser, server.url, seller.username, token=buyer.token)
        page = viewer.page
        await page.get_by_role("button", name="Buy now").click()
        error = page.locator("#buy-error")
        await error.get_by_text("Not enough coins: this needs 80, you have 30.").wait_for()
        assert viewer.errors == []
