"""Live shopping end to end: a real server, a real SQLite file, real WebSocket clients."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.services.shopping.rules import CHECKOUT_HOLD
from backend.services.shopping.vouchers import MAX_HOLDS
from backend.settings import Settings
from backend.storage.db import iso, parse_iso, utc_now
from backend.storage.engines import open_database
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.servers import LiveServer, running_server

SHOP = "/api/live-shopping"


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        yield http


async def product(seller: ApiUser, price: int = 50, stock: int = 10, name: str = "Mug") -> dict:
    return await seller.data(
        "POST", "/api/products", json={"name": name, "price": price, "stock": stock}
    )


async def live_session(seller: ApiUser, *products: dict, **add: Any) -> dict:
    session = await seller.data("POST", SHOP, json={"title": "Friday deals"})
    await seller.data("POST", f"{SHOP}/{session['id']}/start")
    for item in products:
        await seller.data(
            "POST", f"{SHOP}/{session['id']}/products", json={"productId": item["id"], **add}
        )
    return session


def many_buyers(server: LiveServer, client: httpx.AsyncClient, n: int, coins: int) -> list[ApiUser]:
    """Accounts made straight in the database: argon2 hashing 100 passwords would dominate."""
    services = server.app.state.services
    buyers = []
    for _ in range(n):
        name = f"b{uuid.uuid4().hex[:10]}"
        row = services.db.insert(
            "users", {"username": name, "displayName": name, "passwordHash": "-"}
        )
        services.wallet.move(row["id"], coins, "topup")
        buyers.append(ApiUser(client, row["id"], name, services.auth.issue_token(row["id"], name)))
    return buyers


async def guest_token(client: httpx.AsyncClient) -> str:
    return str((await client.post("/api/auth/guest")).json()["data"]["token"])


async def test_shopping_lifecycle_with_events(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller = await register(client)
    buyer = await register(client, coins=1000)
    guest = await guest_token(client)
    mug, cap = await product(seller, price=50, stock=5), await product(seller, 30, 3, "Cap")
    session = await seller.data("POST", SHOP, json={"title": "Friday deals"})
    sid, path = session["id"], f"{SHOP}/{session['id']}"
    assert session["status"] == "scheduled" and session["products"] == []
    assert (await buyer.call("GET", path)).status_code == 404
    early = await seller.call(
        "POST",
        f"{path}/products",
        json={"productId": mug["id"], "flashSale": {"price": 10, "quantity": 1, "expiresIn": 5000}},
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_live"
    await seller.data("POST", f"{path}/products", json={"productId": cap["id"]})
    await seller.data("POST", f"{path}/start")

    async with (
        Listener(server.ws_url, seller.token) as ws_s,
        Listener(server.ws_url, guest) as ws_v,
    ):
        assert (await ws_v.join(f"live-shopping:{sid}"))["event"] == "joined"
        added = await seller.data(
            "POST",
            f"{path}/products",
            json={
                "productId": mug["id"],
                "livePrice": 40,
                "flashSale": {"price": 20, "quantity": 2, "expiresIn": 600_000},
            },
        )
        assert added["currentPrice"] == 20 and added["flashSale"]["remaining"] == 2
        assert (await ws_v.wait_for("live-shopping:product-added"))["data"]["product"] == added
        flash = await ws_v.wait_for("live-shopping:flash-sale")
        assert flash["data"]["countdown"]["endsAt"] == added["flashSale"]["endsAt"]

        pinned = await seller.data("POST", f"{path}/products/pin", json={"productId": mug["id"]})
        assert pinned["pinnedProduct"]["pinned"] and pinned["previousProductId"] is None
        await seller.data("POST", f"{path}/products/pin", json={"productId": cap["id"]})
        event = await ws_v.wait_for(
            lambda e: (
                e["event"] == "live-shopping:product-pinned"
                and e["data"]["previousProductId"] == mug["id"]
            )
        )
        assert event["data"]["product"]["productId"] == cap["id"]

        voucher = await seller.data(
            "POST",
            f"{path}/vouchers",
            json={"code": "live10", "type": "percent", "value": 10, "usageLimit": 3},
        )
        assert voucher["code"] == "LIVE10" and voucher["remaining"] == 3
        assert (await ws_v.wait_for("live-shopping:voucher"))["data"]["voucher"] == voucher

        for kind in ("view", "view", "click", "cart-add"):
            await buyer.data(
                "POST", f"{path}/interactions", json={"productId": mug["id"], "type": kind}
            )
        await client.post(
            f"{path}/interactions",
            json={"productId": mug["id"], "type": "view"},
            headers={"Authorization": f"Bearer {guest}"},
        )

        # 3 mugs: 2 at the flash price, 1 at the live price, then 10% off.
        order = await buyer.data(
            "POST",
            f"{path}/orders",
            json={"productId": mug["id"], "quantity": 3, "voucherCode": "live10"},
        )
        assert (order["flashUnits"], order["subtotal"], order["discount"]) == (2, 80, 8)
        assert order["total"] == 72 and order["status"] == "placed"
        assert order["balance"]["coins"] == 1000 - 72
        ticker = await ws_v.wait_for("live-shopping:order")
        assert ticker["data"]["order"]["id"] == order["id"]
        assert "payment" not in ticker["data"]["order"]
        assert ticker["data"]["product"]["stock"] == 2
        ended = await ws_v.wait_for("live-shopping:flash-sale-ended")
        assert ended["data"]["reason"] == "sold-through"
        await ws_s.wait_for("live-shopping:order")

        second = await buyer.data("POST", f"{path}/orders", json={"productId": mug["id"]})
        assert second["total"] == 40
        cancelled = await seller.data(
            "PUT", f"{path}/orders/{second['id']}", json={"status": "cancelled"}
        )
        assert cancelled["status"] == "cancelled" and cancelled["cancelledAt"]
        update = await ws_v.wait_for("live-shopping:order-updated")
        assert update["data"]["product"]["stock"] == 2
        fulfilled = await seller.data(
            "PUT", f"{path}/orders/{order['id']}", json={"status": "fulfilled"}
        )
        assert fulfilled["status"] == "fulfilled"

        stats = await seller.data("GET", f"{path}/analytics")
        totals = stats["totals"]
        assert (totals["views"], totals["uniqueViews"], totals["uniqueViewers"]) == (3, 2, 2)
        assert (totals["clicks"], totals["cartAdds"]) == (1, 1)
        assert (totals["orders"], totals["revenue"], totals["cancelledOrders"]) == (1, 72, 1)
        assert totals["refunded"] == 40 and totals["averageOrderValue"] == 72
        assert totals["conversionRate"] == 0.5
        assert stats["flashSales"] == {
            "count": 1,
            "offered": 2,
            "sold": 2,
            "sellThrough": 1.0,
            "soldThroughCount": 1,
        }

        closed = await seller.data("POST", f"{path}/end")
        assert closed["status"] == "ended" and closed["pinnedProduct"] is None
        assert [p["productId"] for p in closed["pinHistory"]] == [mug["id"], cap["id"]]
        assert all(p["unpinnedAt"] for p in closed["pinHistory"])
        await ws_v.wait_for("live-shopping:ended")

    assert (await buyer.data("GET", "/api/wallet"))["coins"] == 1000 - 72
    assert (await seller.data("GET", "/api/wallet"))["coins"] == 72
    late = await buyer.call("POST", f"{path}/orders", json={"productId": cap["id"]})
    assert late.status_code == 409 and late.json()["error"]["code"] == "not_live"
    top = await buyer.data("GET", f"{SHOP}/top/performers")
    assert top[0]["session"]["id"] == sid and top[0]["revenue"] == 72
    assert sid not in [s["id"] for s in await buyer.data("GET", f"{SHOP}/active/list")]
    mine = await buyer.data("GET", f"{path}/orders")
    assert {o["id"] for o in mine} == {order["id"], second["id"]}


async def test_permissions_between_sellers_buyers_and_viewers(client: httpx.AsyncClient) -> None:
    seller, rival = await register(client), await register(client)
    buyer, other = await register(client, coins=500), await register(client, coins=500)
    mug, rival_mug = await product(seller), await product(rival)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    order = await buyer.data("POST", f"{path}/orders", json={"productId": mug["id"]})
    before = await seller.data("GET", path)

    async def refused(user: ApiUser, method: str, url: str, body: dict | None = None) -> int:
        return (await user.call(method, url, json=body)).status_code

    pin = {"productId": mug["id"]}
    for user in (rival, buyer):
        assert await refused(user, "POST", f"{path}/products/pin", pin) == 403
        assert await refused(user, "POST", f"{path}/products", {"productId": mug["id"]}) == 403
        assert (
            await refused(
                user, "POST", f"{path}/vouchers", {"code": "X12", "type": "fixed", "value": 5}
            )
            == 403
        )
        assert await refused(user, "GET", f"{path}/analytics") == 403
        assert (
            await refused(user, "PUT", f"{path}/orders/{order['id']}", {"status": "cancelled"})
            == 403
        )
        assert await refused(user, "POST", f"{path}/end") == 403
    assert await refused(other, "GET", f"{path}/orders/{order['id']}") == 404
    assert await other.data("GET", f"{path}/orders") == []
    assert await refused(seller, "POST", f"{path}/products", {"productId": rival_mug["id"]}) == 404
    assert await refused(rival, "GET", f"/api/products/{mug['id']}") == 404
    assert await refused(rival, "PUT", f"/api/products/{mug['id']}", {"price": 1}) == 404
    guest = await guest_token(client)
    as_guest = await client.post(
        f"{path}/orders", json=pin, headers={"Authorization": f"Bearer {guest}"}
    )
    assert as_guest.status_code == 403 and as_guest.json()["error"]["code"] == "account_required"
    hidden = await seller.data("POST", SHOP, json={"title": "Not yet"})
    assert await refused(rival, "GET", f"{SHOP}/{hidden['id']}") == 404
    assert await refused(rival, "POST", f"{SHOP}/{hidden['id']}/start") == 404
    assert (await client.get(path)).status_code == 401
    after = await seller.data("GET", path)
    assert after["products"] == before["products"] and after["vouchers"] == []
    assert (await seller.data("GET", f"{path}/orders"))[0]["status"] == "placed"
    assert [p["name"] for p in await seller.data("GET", "/api/products")] == ["Mug"]


async def test_validation_paths(client: httpx.AsyncClient) -> None:
    seller = await register(client)
    buyer = await register(client, coins=60)
    mug, cap = await product(seller, price=50, stock=5), await product(seller, 30, 0, "Cap")
    session = await live_session(seller, cap)
    path = f"{SHOP}/{session['id']}"
    flash = {"price": 10, "quantity": 1, "expiresIn": 60_000}
    cases: list[tuple[ApiUser, str, str, dict, int, str]] = [
        (
            seller,
            "POST",
            "/api/products",
            {"name": "x", "price": 29.99, "stock": 1},
            422,
            "validation_error",
        ),
        (
            seller,
            "POST",
            "/api/products",
            {"name": "x", "price": "30", "stock": 1},
            422,
            "validation_error",
        ),
        (
            seller,
            "POST",
            "/api/products",
            {"name": "x", "price": 0, "stock": 1},
            400,
            "invalid_price",
        ),
        (
            seller,
            "POST",
            "/api/products",
            {"name": "x", "price": 5, "stock": -1},
            400,
            "invalid_stock",
        ),
        (
            seller,
            "POST",
            "/api/products",
            {"name": "x", "price": 5, "stock": 1, "sellerId": "me"},
            422,
            "validation_error",
        ),
        (seller, "PUT", f"/api/products/{mug['id']}", {}, 400, "no_changes"),
        (
            seller,
            "POST",
            f"{path}/products",
            {"productId": mug["id"], "livePrice": 0},
            400,
            "invalid_price",
        ),
        (
            seller,
            "POST",
            f"{path}/products",
            {"productId": mug["id"], "stock": 9},
            422,
            "validation_error",
        ),
        (
            seller,
            "POST",
            f"{path}/products",
            {"productId": mug["id"], "flashSale": {**flash, "price": 50}},
            400,
            "invalid_flash_price",
        ),
        (
            seller,
            "POST",
            f"{path}/products",
            {"productId": mug["id"], "flashSale": {**flash, "quantity": 6}},
            400,
            "invalid_flash_quantity",
        ),
        (
            seller,
            "POST",
            f"{path}/products",
            {"productId": mug["id"], "flashSale": {**flash, "expiresIn": 10}},
            400,
            "invalid_flash_duration",
        ),
        (seller, "POST", f"{path}/products", {"productId": cap["id"]}, 409, "already_added"),
        (
            seller,
            "POST",
            f"{path}/products/pin",
            {"productId": mug["id"]},
            404,
            "product_not_found",
        ),
        (
            seller,
            "POST",
            f"{path}/vouchers",
            {"code": "a b", "type": "fixed", "value": 5},
            400,
            "invalid_voucher_code",
        ),
        (
            seller,
            "POST",
            f"{path}/vouchers",
            {"code": "BIG", "type": "percent", "value": 150},
            400,
            "invalid_voucher_value",
        ),
        (
            seller,
            "POST",
            f"{path}/vouchers",
            {"code": "BIG", "type": "gift", "value": 5},
            400,
            "invalid_voucher_type",
        ),
        (
            seller,
            "POST",
            f"{path}/vouchers",
            {"code": "BIG", "type": "fixed", "value": 5, "usageLimit": 0},
            400,
            "invalid_voucher_limits",
        ),
        (
            seller,
            "POST",
            f"{path}/vouchers",
            {"code": "BIG", "type": "fixed", "value": 5, "used": 3},
            422,
            "validation_error",
        ),
        (
            seller,
            "POST",
            f"{path}/vouchers",
            {"code": "BIG", "type": "fixed", "value": 5, "minOrder": 10**30},
            400,
            "invalid_voucher_limits",
        ),
        (seller, "POST", f"{path}/orders", {"productId": cap["id"]}, 400, "self_purchase"),
        (buyer, "POST", f"{path}/orders", {"productId": cap["id"]}, 409, "out_of_stock"),
        (
            buyer,
            "POST",
            f"{path}/orders",
            {"productId": cap["id"], "quantity": 0},
            400,
            "invalid_quantity",
        ),
        (buyer, "POST", f"{path}/orders", {"productId": mug["id"]}, 404, "product_not_found"),
        (
            buyer,
            "POST",
            f"{path}/orders",
            {"productId": cap["id"], "total": 1},
            422,
            "validation_error",
        ),
        (
            buyer,
            "POST",
            f"{path}/orders",
            {"productId": cap["id"], "voucherCode": "NOPE"},
            409,
            "out_of_stock",
        ),
        (
            buyer,
            "POST",
            f"{path}/interactions",
            {"productId": cap["id"], "type": "like"},
            400,
            "invalid_interaction",
        ),
        (buyer, "POST", f"{path}/vouchers/use", {"code": "NOPE"}, 404, "voucher_not_found"),
        (buyer, "POST", f"{SHOP}/nope/orders", {"productId": cap["id"]}, 404, "session_not_found"),
    ]
    for user, method, url, body, status, code in cases:
        response = await user.call(method, url, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code, (body, response.text)
    await seller.data("PUT", f"/api/products/{cap['id']}", json={"stock": 3})
    await seller.data(
        "POST",
        f"{path}/vouchers",
        json={"code": "MIN100", "type": "fixed", "value": 5, "minOrder": 100},
    )
    below = await buyer.call(
        "POST", f"{path}/orders", json={"productId": cap["id"], "voucherCode": "min100"}
    )
    assert below.status_code == 400 and below.json()["error"]["code"] == "below_minimum"
    broke = await buyer.call("POST", f"{path}/orders", json={"productId": cap["id"], "quantity": 3})
    assert broke.status_code == 409 and broke.json()["error"]["code"] == "insufficient_funds"
    order = await buyer.data("POST", f"{path}/orders", json={"productId": cap["id"]})
    bad = await seller.call("PUT", f"{path}/orders/{order['id']}", json={"status": "shipped"})
    assert bad.status_code == 400
    await seller.data("PUT", f"{path}/orders/{order['id']}", json={"status": "fulfilled"})
    again = await seller.call("PUT", f"{path}/orders/{order['id']}", json={"status": "cancelled"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    detail = await seller.data("GET", path)
    assert detail["products"][0]["stock"] == 2 and detail["stats"]["orders"] == 1


async def test_hundred_buyers_race_for_ten_units(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller = await register(client)
    mug = await product(seller, price=30, stock=10)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    buyers = many_buyers(server, client, 100, coins=100)
    async with Listener(server.ws_url, seller.token) as ws:
        await ws.join(f"live-shopping:{session['id']}")
        responses = await asyncio.gather(
            *(b.call("POST", f"{path}/orders", json={"productId": mug["id"]}) for b in buyers)
        )
        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == 10 and statuses.count(409) == 90
        assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
            "out_of_stock"
        }
        await ws.wait_for("live-shopping:sold-out")
        await asyncio.sleep(0.2)
        assert ws.named("live-shopping:sold-out") == [
            {"sessionId": session["id"], "productId": mug["id"]}
        ]
        assert len(ws.named("live-shopping:order")) == 10
    detail = await seller.data("GET", path)
    assert detail["products"][0]["stock"] == 0 and detail["products"][0]["soldOut"]
    orders = await seller.data("GET", f"{path}/orders")
    assert len(orders) == 10
    for order in orders:
        await seller.data("PUT", f"{path}/orders/{order['id']}", json={"status": "fulfilled"})
    balances = [(await b.data("GET", "/api/wallet"))["coins"] for b in buyers]
    assert sorted(balances) == [70] * 10 + [100] * 90
    assert (
        (await seller.data("GET", "/api/wallet"))["coins"] == 300 == sum(100 - c for c in balances)
    )


async def voucher(seller: ApiUser, path: str, code: str, **terms: Any) -> dict:
    body = {"code": code, "type": "fixed", "value": 15, **terms}
    return await seller.data("POST", f"{path}/vouchers", json=body)


async def test_voucher_limits_hold_under_concurrency(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller = await register(client)
    mug = await product(seller, price=40, stock=100)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    await voucher(seller, path, "FIVE", usageLimit=5)
    buyers = many_buyers(server, client, 50, coins=100)
    at_checkout = {"productId": mug["id"], "voucherCode": "five"}
    responses = await asyncio.gather(
        *(b.call("POST", f"{path}/checkout", json=at_checkout) for b in buyers)
    )
    winners = [b for b, r in zip(buyers, responses, strict=True) if r.status_code == 200]
    assert len(winners) == 5
    assert {r.json()["error"]["code"] for r in responses if r.status_code != 200} == {
        "voucher_used_up"
    }
    order = await winners[0].data(
        "POST", f"{path}/orders", json={"productId": mug["id"], "voucherCode": "FIVE"}
    )
    assert order["total"] == 25
    twice = await winners[0].call(
        "POST", f"{path}/orders", json={"productId": mug["id"], "voucherCode": "FIVE"}
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "voucher_used_up"
    held = (await seller.data("GET", path))["vouchers"][0]
    assert (held["used"], held["remaining"]) == (5, 0)
    # Cancelling the order gives its use back; the same buyer still may use it only once.
    await seller.data("PUT", f"{path}/orders/{order['id']}", json={"status": "cancelled"})
    loser = next(b for b in buyers if b not in winners)
    again = await loser.data(
        "POST", f"{path}/orders", json={"productId": mug["id"], "voucherCode": "FIVE"}
    )
    assert again["discount"] == 15
    uses = await seller.data("GET", path)
    assert uses["vouchers"][0]["used"] == 5


async def test_throwaway_accounts_cannot_sit_on_a_limited_voucher(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    """Issue 21 (6): applying a code holds nothing, and an account that cannot pay holds
    nothing at checkout, so a buyer still gets the voucher however many accounts tried it."""
    seller, buyer = await register(client), await register(client, coins=100)
    mug = await product(seller, price=40)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    await voucher(seller, path, "THREE", usageLimit=3)
    throwaway = many_buyers(server, client, 10, coins=0)
    applied = {"code": "three", "productId": mug["id"]}
    for account in throwaway:
        check = await account.data("POST", f"{path}/vouchers/use", json=applied)
        assert (check["subtotal"], check["discount"]) == (40, 15)
        held = await account.call(
            "POST", f"{path}/checkout", json={"productId": mug["id"], "voucherCode": "THREE"}
        )
        assert held.status_code == 409
        assert held.json()["error"]["code"] == "insufficient_funds"
    assert (await seller.data("GET", path))["vouchers"][0]["used"] == 0
    order = await buyer.data(
        "POST", f"{path}/orders", json={"productId": mug["id"], "voucherCode": "THREE"}
    )
    assert (order["discount"], order["total"]) == (15, 25)


async def test_checkout_holds_one_use_per_buyer_briefly(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller, buyer = await register(client), await register(client, coins=1000)
    mug = await product(seller, price=40)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    await voucher(seller, path, "ONE", usageLimit=5)
    await voucher(seller, path, "TWO", usageLimit=5)
    body = {"productId": mug["id"], "quantity": 2, "voucherCode": "one"}
    before = utc_now()
    first = await buyer.data("POST", f"{path}/checkout", json=body)
    assert (first["subtotal"], first["discount"], first["total"]) == (80, 15, 65)
    assert first["voucherCode"] == "ONE" and first["flashUnits"] == 0
    hold = parse_iso(first["holdUntil"]) - before
    assert timedelta(0) < hold <= CHECKOUT_HOLD + timedelta(seconds=5)
    again = await buyer.data("POST", f"{path}/checkout", json=body)
    assert again["holdUntil"] >= first["holdUntil"]

    async def used() -> list[int]:
        return [v["used"] for v in (await seller.data("GET", path))["vouchers"]]

    assert await used() == [1, 0]  # the second checkout kept the buyer's one hold
    await buyer.data("POST", f"{path}/checkout", json={**body, "voucherCode": "TWO"})
    assert await used() == [0, 1]  # a new checkout in the session replaces the hold
    plain = await buyer.data("POST", f"{path}/checkout", json={"productId": mug["id"]})
    assert (plain["discount"], plain["holdUntil"], plain["voucherCode"]) == (0, None, None)

    # Holds across sessions are counted: a few checkouts at once, not more.
    for _ in range(MAX_HOLDS - 1):
        other_mug = await product(seller, price=40)
        other = await live_session(seller, other_mug)
        await voucher(seller, f"{SHOP}/{other['id']}", "ONE")
        await buyer.data(
            "POST",
            f"{SHOP}/{other['id']}/checkout",
            json={"productId": other_mug["id"], "voucherCode": "ONE"},
        )
    last_mug = await product(seller, price=40)
    last = await live_session(seller, last_mug)
    await voucher(seller, f"{SHOP}/{last['id']}", "ONE")
    refused = await buyer.call(
        "POST",
        f"{SHOP}/{last['id']}/checkout",
        json={"productId": last_mug["id"], "voucherCode": "ONE"},
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "too_many_holds"
    assert "try again in" in refused.json()["error"]["message"]


async def last_use_held(
    client: httpx.AsyncClient, coins: int
) -> tuple[ApiUser, ApiUser, ApiUser, str, dict]:
    """A live shop whose one-use voucher LAST is held by ``buyer`` at checkout; ``other`` has
    as many coins. Returns (seller, buyer, other, session path, order body with the code)."""
    seller = await register(client)
    buyer, other = await register(client, coins=coins), await register(client, coins=coins)
    mug = await product(seller, price=40)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    await voucher(seller, path, "LAST", usageLimit=1)
    with_code = {"productId": mug["id"], "voucherCode": "LAST"}
    await buyer.data("POST", f"{path}/checkout", json=with_code)
    return seller, buyer, other, path, with_code


async def test_a_failed_order_releases_the_buyers_hold(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller, buyer, other, path, with_code = await last_use_held(client, coins=50)
    taken = await other.call("POST", f"{path}/checkout", json=with_code)
    assert taken.json()["error"]["code"] == "voucher_used_up"
    broke = await buyer.call("POST", f"{path}/orders", json={**with_code, "quantity": 3})
    assert broke.status_code == 409 and broke.json()["error"]["code"] == "insufficient_funds"
    assert (await seller.data("GET", path))["vouchers"][0]["used"] == 0
    order = await other.data("POST", f"{path}/orders", json=with_code)
    assert order["discount"] == 15


async def test_per_user_single_use(server: LiveServer, client: httpx.AsyncClient) -> None:
    seller, buyer = await register(client), await register(client, coins=200)
    mug = await product(seller, price=40)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    await seller.data(
        "POST", f"{path}/vouchers", json={"code": "ONCE", "type": "percent", "value": 50}
    )
    check = await buyer.data(
        "POST", f"{path}/vouchers/use", json={"code": "ONCE", "productId": mug["id"], "quantity": 2}
    )
    assert (check["subtotal"], check["discount"]) == (80, 40)
    assert check["voucher"]["used"] == 0 and "reservation" not in check
    order = await buyer.data(
        "POST", f"{path}/orders", json={"productId": mug["id"], "voucherCode": "ONCE"}
    )
    assert order["discount"] == 20
    twice = await buyer.call(
        "POST", f"{path}/orders", json={"productId": mug["id"], "voucherCode": "ONCE"}
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "voucher_already_used"
    applied = await buyer.call("POST", f"{path}/vouchers/use", json={"code": "ONCE"})
    assert applied.json()["error"]["code"] == "voucher_already_used"


async def test_retried_idempotency_key_creates_one_order(client: httpx.AsyncClient) -> None:
    seller, buyer = await register(client), await register(client, coins=100)
    mug = await product(seller, price=30, stock=5)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    key = {"Idempotency-Key": uuid.uuid4().hex}
    responses = await asyncio.gather(
        *(
            buyer.call("POST", f"{path}/orders", json={"productId": mug["id"]}, headers=key)
            for _ in range(5)
        )
    )
    assert all(r.status_code == 201 for r in responses)
    assert sum(not r.json()["data"]["replayed"] for r in responses) == 1
    assert len({r.json()["data"]["id"] for r in responses}) == 1
    assert (await buyer.data("GET", "/api/wallet"))["coins"] == 70
    assert (await seller.data("GET", path))["products"][0]["stock"] == 4


async def test_flash_sale_expiring_while_stopped_ends_on_restart(settings: Settings) -> None:
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            seller, buyer = await register(http), await register(http, coins=100)
            mug = await product(seller, price=50)
            session = await live_session(
                seller,
                mug,
                livePrice=40,
                flashSale={"price": 10, "quantity": 5, "expiresIn": 600_000},
            )
    db = open_database(settings.db_path, settings.database_url)
    past = iso(utc_now())
    db.execute("UPDATE deadlines SET dueAt = ? WHERE kind = 'shopping:flash-end'", (past,))
    db.execute("UPDATE shopping_products SET flashEndsAt = ?", (past,))
    db.close()
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            seller.client = buyer.client = http
            path = f"{SHOP}/{session['id']}"
            for _ in range(100):
                item = (await buyer.data("GET", path))["products"][0]
                if item["flashSale"]["endedReason"]:
                    break
                await asyncio.sleep(0.05)
            assert item["flashSale"]["status"] == "ended"
            assert item["flashSale"]["endedReason"] == "expired"
            assert item["currentPrice"] == 40
            order = await buyer.data("POST", f"{path}/orders", json={"productId": mug["id"]})
            assert (order["flashUnits"], order["total"]) == (0, 40)


async def test_a_flash_sale_on_a_product_already_in_the_session(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller, rival = await register(client), await register(client)
    buyer = await register(client, coins=500)
    mug, cap = await product(seller, price=50, stock=5), await product(seller, 30, 3, "Cap")
    session = await live_session(seller, mug)
    flash_path = f"{SHOP}/{session['id']}/products/{mug['id']}/flash-sale"
    flash = {"price": 20, "quantity": 2, "expiresIn": 600_000}

    async def refused(user: ApiUser, path: str, body: dict, status: int, code: str) -> None:
        response = await user.call("POST", path, json=body)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code

    await refused(seller, flash_path, {**flash, "price": 50}, 400, "invalid_flash_price")
    await refused(seller, flash_path, {**flash, "quantity": 6}, 400, "invalid_flash_quantity")
    await refused(rival, flash_path, flash, 403, "not_seller")
    not_added = f"{SHOP}/{session['id']}/products/{cap['id']}/flash-sale"
    await refused(seller, not_added, flash, 404, "product_not_found")
    async with Listener(server.ws_url, buyer.token) as ws:
        await ws.join(f"live-shopping:{session['id']}")
        started = await seller.data("POST", flash_path, json=flash)
        assert started["currentPrice"] == 20 and started["flashSale"]["remaining"] == 2
        event = await ws.wait_for("live-shopping:flash-sale")
        assert event["data"]["countdown"]["endsAt"] == started["flashSale"]["endsAt"]
        await refused(seller, flash_path, flash, 409, "flash_active")
        order = await buyer.data(
            "POST", f"{SHOP}/{session['id']}/orders", json={"productId": mug["id"], "quantity": 2}
        )
        assert (order["flashUnits"], order["total"]) == (2, 40)
        await ws.wait_for("live-shopping:flash-sale-ended")
    again = await seller.data("POST", flash_path, json={**flash, "quantity": 1, "price": 25})
    assert again["flashSale"]["status"] == "active" and again["flashSale"]["endedReason"] is None
    assert again["currentPrice"] == 25


@pytest.mark.one_engine  # the schema is the same whatever stores the data
def test_openapi_documents_every_shopping_answer(server: LiveServer) -> None:
    """Every shopping and catalog route declares its answer (schemathesis checks the answers
    against it): the envelope with a named model, or a list of one, as ``data``."""
    spec = server.app.openapi()
    schemas = spec["components"]["schemas"]
    documented = 0
    for path, item in spec["paths"].items():
        if not path.startswith((SHOP, "/api/products")):
            continue
        for method, operation in item.items():
            success = next(code for code in operation["responses"] if code.startswith("2"))
            ref = operation["responses"][success]["content"]["application/json"]["schema"]
            data = schemas[ref["$ref"].rsplit("/", 1)[1]]["properties"]["data"]
            model = data.get("items", data)["$ref"].rsplit("/", 1)[1]
            assert schemas[model]["properties"], (method, path)
            documented += 1
    assert documented == 22
    assert "holdUntil" in schemas["Checkout"]["properties"]


async def test_the_room_hears_the_session_start(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller = await register(client)
    session = await seller.data("POST", SHOP, json={"title": "Soon"})
    async with Listener(server.ws_url, seller.token) as ws:
        await ws.join(f"live-shopping:{session['id']}")
        started = await seller.data("POST", f"{SHOP}/{session['id']}/start")
        event = await ws.wait_for("live-shopping:started")
    assert event["data"]["session"]["status"] == "live" == started["status"]
    assert event["data"]["sessionId"] == session["id"]


async def test_an_unconfirmed_checkout_hold_runs_out(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller, _, other, path, with_code = await last_use_held(client, coins=100)
    services = server.app.state.services
    services.db.execute(
        "UPDATE deadlines SET dueAt = ? WHERE kind = 'shopping:voucher-hold'", (iso(utc_now()),)
    )
    services.scheduler.run_due()  # (or the server's own scheduler got there first)
    released = services.db.scalar("SELECT status FROM shopping_voucher_uses")
    assert released == "released"
    assert (await seller.data("GET", path))["vouchers"][0]["used"] == 0
    assert (await other.data("POST", f"{path}/orders", json=with_code))["discount"] == 15
