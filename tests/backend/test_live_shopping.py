"""Live shopping end to end: a real server, a real SQLite file, real WebSocket clients."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from backend.storage.db import Database, iso, utc_now
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


async def test_voucher_limits_hold_under_concurrency(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller = await register(client)
    mug = await product(seller, price=40, stock=100)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    await seller.data(
        "POST",
        f"{path}/vouchers",
        json={"code": "FIVE", "type": "fixed", "value": 15, "usageLimit": 5},
    )
    buyers = many_buyers(server, client, 50, coins=100)
    responses = await asyncio.gather(
        *(b.call("POST", f"{path}/vouchers/use", json={"code": "five"}) for b in buyers)
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
    voucher = (await seller.data("GET", path))["vouchers"][0]
    assert (voucher["used"], voucher["remaining"]) == (5, 0)
    # Cancelling the order gives its use back; the same buyer still may use it only once.
    await seller.data("PUT", f"{path}/orders/{order['id']}", json={"status": "cancelled"})
    loser = next(b for b in buyers if b not in winners)
    again = await loser.data(
        "POST", f"{path}/orders", json={"productId": mug["id"], "voucherCode": "FIVE"}
    )
    assert again["discount"] == 15
    uses = await seller.data("GET", path)
    assert uses["vouchers"][0]["used"] == 5


async def test_per_user_single_use_and_hold_release(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    seller, buyer = await register(client), await register(client, coins=200)
    mug = await product(seller, price=40)
    session = await live_session(seller, mug)
    path = f"{SHOP}/{session['id']}"
    await seller.data(
        "POST", f"{path}/vouchers", json={"code": "ONCE", "type": "percent", "value": 50}
    )
    hold = await buyer.data(
        "POST", f"{path}/vouchers/use", json={"code": "ONCE", "productId": mug["id"], "quantity": 2}
    )
    assert (hold["subtotal"], hold["discount"]) == (80, 40)
    same = await buyer.data("POST", f"{path}/vouchers/use", json={"code": "ONCE"})
    assert same["reservation"]["id"] == hold["reservation"]["id"]
    services = server.app.state.services
    services.shopping.release_hold(hold["reservation"]["id"])
    order = await buyer.data(
        "POST", f"{path}/orders", json={"productId": mug["id"], "voucherCode": "ONCE"}
    )
    assert order["discount"] == 20
    twice = await buyer.call(
        "POST", f"{path}/orders", json={"productId": mug["id"], "voucherCode": "ONCE"}
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "voucher_already_used"


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
    db = Database(settings.db_path)
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
