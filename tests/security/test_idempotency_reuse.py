"""An Idempotency-Key belongs to one request: reused with another body it is refused with 422
``idempotency_key_reused``; the same body replays unchanged (issue 21, finding 5)."""

from __future__ import annotations

import uuid

import httpx

from tests.backend.api_helpers import ApiUser, register
from tests.backend.test_live_shopping import live_session, product
from tests.servers import LiveServer


async def battle_between(host1: ApiUser, host2: ApiUser) -> str:
    battle = await host1.data("POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 5})
    await host2.data("POST", f"/api/pk-battles/{battle['id']}/accept")
    return str(battle["id"])


async def test_a_reused_key_with_another_body_is_422_and_charges_nothing(
    live: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        host1, host2 = await register(http), await register(http)
        fan = await register(http, coins=100)
        path = f"/api/pk-battles/{await battle_between(host1, host2)}/gift"
        key = {"Idempotency-Key": uuid.uuid4().hex}
        one_star = {"giftId": "star", "quantity": 1, "toHost": host1.id}

        first = await fan.call("POST", path, json=one_star, headers=key)
        assert first.status_code == 200 and first.json()["data"]["replayed"] is False
        # The same request again (fields in another order): the first answer, not charged.
        again = await fan.call("POST", path, json=dict(reversed(one_star.items())), headers=key)
        assert again.status_code == 200 and again.json()["data"]["replayed"] is True
        assert {**again.json()["data"], "replayed": False} == first.json()["data"]

        for changed in (
            {**one_star, "quantity": 5},
            {**one_star, "toHost": host2.id},
            {"giftId": "rose", "quantity": 1, "toHost": host1.id},
        ):
            reused = await fan.call("POST", path, json=changed, headers=key)
            assert reused.status_code == 422, reused.text
            error = reused.json()["error"]
            assert error["code"] == "idempotency_key_reused"
            assert "different request" in error["message"]
        assert (await fan.data("GET", "/api/wallet"))["coins"] == 90  # one star, once


async def test_an_order_key_reused_for_another_product_is_refused(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        seller, buyer = await register(http), await register(http, coins=100)
        products = [await product(seller, price=10, stock=5, name=name) for name in "ab"]
        session = await live_session(seller, *products)
        path = f"/api/live-shopping/{session['id']}/orders"
        key = {"Idempotency-Key": uuid.uuid4().hex}
        mug, cap = ({"productId": p["id"]} for p in products)
        assert (await buyer.call("POST", path, json=mug, headers=key)).status_code == 201
        assert (await buyer.call("POST", path, json=mug, headers=key)).json()["data"]["replayed"]
        reused = await buyer.call("POST", path, json=cap, headers=key)
        assert (reused.status_code, reused.json()["error"]["code"]) == (
            422,
            "idempotency_key_reused",
        )
        assert (await buyer.data("GET", "/api/wallet"))["coins"] == 90
