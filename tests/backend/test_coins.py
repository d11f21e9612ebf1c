"""Buying coins: the packages, a sandbox checkout credited once by its signed webhook however
it is delivered, Stripe's webhook check (offline, signed as Stripe documents), refunds."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import onair_cli
from backend.settings import Settings
from backend.storage.db import Database
from tests.backend.api_helpers import ApiUser, register
from tests.backend.stripe_double import (
    WEBHOOK_SECRET,
    StripeApi,
    completed_session,
    refunded_charge,
    stripe_api,
    stripe_event,
    stripe_signature,
)
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer, database_args, make_settings, running_server

SANDBOX_HOOK = "/api/coins/webhook/sandbox"
STRIPE_HOOK = "/api/coins/webhook/stripe"


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


def error(response: httpx.Response) -> tuple[int, str]:
    assert response.json()["success"] is False, response.text
    return response.status_code, response.json()["error"]["code"]


async def coins(user: ApiUser) -> int:
    return int((await user.data("GET", "/api/wallet"))["coins"])


async def sandbox_checkout(buyer: ApiUser, package: str = "coins-550") -> dict:
    return await buyer.data(
        "POST", "/api/coins/checkout", json={"packageId": package, "returnTo": "/watch/alice"}
    )


def sandbox_event(server: LiveServer, purchase_id: str, kind: str) -> tuple[bytes, str]:
    """A signed event as the sandbox provider sends it (the same code the page uses)."""
    services = server.app.state.services
    row = services.db.one("SELECT * FROM coin_purchases WHERE id = ?", (purchase_id,))
    return services.coins.sandbox().outcome(row, kind)


async def post_hook(
    client: httpx.AsyncClient, path: str, body: bytes, header: str, signature: str
) -> httpx.Response:
    return await client.post(
        path, content=body, headers={header: signature, "Content-Type": "application/json"}
    )


def assert_ledger_true(server: LiveServer, *users: ApiUser) -> None:
    wallet = server.app.state.services.wallet
    for user in users:
        assert wallet.balance(user.id) == wallet.ledger_balance(user.id)


async def test_the_packages_on_sale(client: httpx.AsyncClient) -> None:
    guest = (await client.post("/api/auth/guest")).json()["data"]["token"]
    shop = (
        await client.get("/api/coins/packages", headers={"Authorization": f"Bearer {guest}"})
    ).json()["data"]
    assert (shop["provider"], shop["sandbox"]) == ("sandbox", True)
    assert [(p["id"], p["coins"], p["amount"], p["price"]) for p in shop["packages"]][:2] == [
        ("coins-100", 100, 99, "$0.99"),
        ("coins-550", 550, 499, "$4.99"),
    ]


async def test_a_sandbox_checkout_credits_once_through_its_webhook(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    buyer = await register(client)
    started = await sandbox_checkout(buyer)
    assert started["provider"] == "sandbox" and started["checkoutUrl"].startswith("/coins/sandbox/")
    page = await client.get(started["checkoutUrl"])
    assert page.status_code == 200 and "550 coins" in page.text and "$4.99" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert await coins(buyer) == 0  # opening a checkout credits nothing

    paid = await client.post(started["checkoutUrl"], data={"decision": "pay"})
    assert paid.status_code == 303
    assert paid.headers["location"] == f"/watch/alice?coins={started['purchaseId']}"
    assert await coins(buyer) == 550
    purchase = await buyer.data("GET", f"/api/coins/purchases/{started['purchaseId']}")
    assert purchase["status"] == "paid" and purchase["paidAt"] is not None

    # The page again (back button), the same event twice, and a second event for it.
    again = await client.post(started["checkoutUrl"], data={"decision": "pay"})
    assert again.status_code == 303
    body, signature = sandbox_event(server, started["purchaseId"], "checkout.completed")
    first = await post_hook(client, SANDBOX_HOOK, body, "OnAir-Sandbox-Signature", signature)
    replay = await post_hook(client, SANDBOX_HOOK, body, "OnAir-Sandbox-Signature", signature)
    assert first.json()["data"]["duplicate"] is False
    assert replay.json()["data"]["duplicate"] is True
    assert await coins(buyer) == 550
    history = (await buyer.data("GET", "/api/wallet"))["history"]
    assert [(h["kind"], h["coins"]) for h in history] == [("coins:purchase", 550)]
    assert "This checkout is paid." in (await client.get(started["checkoutUrl"])).text
    other = await register(client)
    hidden = await other.call("GET", f"/api/coins/purchases/{started['purchaseId']}")
    assert error(hidden) == (404, "purchase_not_found")
    assert_ledger_true(server, buyer)


async def test_out_of_order_and_late_sandbox_events(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    buyer = await register(client)
    header = "OnAir-Sandbox-Signature"
    # Refunded before its payment's event arrives: never credited.
    first = await sandbox_checkout(buyer)
    refund = sandbox_event(server, first["purchaseId"], "charge.refunded")
    completed = sandbox_event(server, first["purchaseId"], "checkout.completed")
    await post_hook(client, SANDBOX_HOOK, *refund[:1], header, refund[1])
    await post_hook(client, SANDBOX_HOOK, *completed[:1], header, completed[1])
    assert await coins(buyer) == 0
    assert (await buyer.data("GET", f"/api/coins/purchases/{first['purchaseId']}"))[
        "status"
    ] == "refunded"
    # Cancelled, then paid after all (a late payment): credited.
    second = await sandbox_checkout(buyer, "coins-100")
    cancel = await client.post(second["checkoutUrl"], data={"decision": "cancel"})
    assert cancel.headers["location"] == "/watch/alice?coins=cancelled"
    late = sandbox_event(server, second["purchaseId"], "checkout.completed")
    await post_hook(client, SANDBOX_HOOK, late[0], header, late[1])
    assert await coins(buyer) == 100
    assert_ledger_true(server, buyer)


@pytest.mark.usefixtures("loopback_ice")
async def test_a_refund_takes_the_coins_back_and_flags_what_was_spent(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    buyer, streamer = await register(client), await register(client)
    started = await sandbox_checkout(buyer)
    await client.post(started["checkoutUrl"], data={"decision": "pay"})
    async with live_publisher(server.url, streamer.username, streamer.token, size=(160, 90)):
        await buyer.data(
            "POST", f"/api/streams/{streamer.username}/gift", json={"giftId": "diamond"}
        )  # 499 of the 550 coins spent
    body, signature = sandbox_event(server, started["purchaseId"], "charge.refunded")
    for _ in range(2):  # delivered twice
        await post_hook(client, SANDBOX_HOOK, body, "OnAir-Sandbox-Signature", signature)
    assert await coins(buyer) == 0  # never below zero
    history = (await buyer.data("GET", "/api/wallet"))["history"]
    assert (history[0]["kind"], history[0]["coins"]) == ("coins:refund", -51)
    db = server.app.state.services.db
    flag = db.one("SELECT * FROM account_flags WHERE userId = ?", (buyer.id,))
    assert flag is not None and (flag["reason"], flag["coins"]) == ("refund-shortfall", 499)
    purchase = await buyer.data("GET", f"/api/coins/purchases/{started['purchaseId']}")
    assert (purchase["status"], purchase["coinsTakenBack"]) == ("refunded", 550)
    assert await coins(streamer) == 499  # the gift stays given
    assert_ledger_true(server, buyer, streamer)


async def test_an_operator_lists_and_resolves_account_flags(
    server: LiveServer,
    client: httpx.AsyncClient,
    database: Database,
    capsys: pytest.CaptureFixture[str],
) -> None:
    buyer = await register(client, name="flagged_buyer")
    with database.transaction():  # as a refund that found its coins spent leaves it
        flag_id = database.insert(
            "account_flags",
            {
                "userId": buyer.id,
                "reason": "refund-shortfall",
                "refId": "pur-1",
                "coins": 499,
                "note": "A refund found fewer coins than the purchase gave; the rest were spent.",
            },
        )["id"]
    where = database_args(server.settings)

    assert onair_cli.main(["admin", "flags", *where]) == 0
    listed = capsys.readouterr().out
    assert f"{flag_id}  " in listed and "flagged_buyer  refund-shortfall  499 coins" in listed
    assert "ref pur-1  [open]" in listed and "the rest were spent" in listed

    assert onair_cli.main(["admin", "resolve-flag", flag_id, "--note", " ", *where]) == 1
    assert "Say what was done about it" in capsys.readouterr().out
    note = "Buyer paid the 499 coins back by card"
    assert onair_cli.main(["admin", "resolve-flag", flag_id, "--note", note, *where]) == 0
    assert capsys.readouterr().out == (
        f"Resolved {flag_id} (flagged_buyer, refund-shortfall): {note}\n"
    )
    assert onair_cli.main(["admin", "resolve-flag", flag_id, "--note", note, *where]) == 1
    assert "already resolved" in capsys.readouterr().out
    assert onair_cli.main(["admin", "resolve-flag", "nope", "--note", note, *where]) == 1
    assert "There is no flag 'nope'" in capsys.readouterr().out

    assert onair_cli.main(["admin", "flags", *where]) == 0
    assert capsys.readouterr().out == "No account flags need a look.\n"
    assert onair_cli.main(["admin", "flags", "--all", *where]) == 0
    assert "[resolved " in capsys.readouterr().out


async def test_checkout_and_webhook_refusals(server: LiveServer, client: httpx.AsyncClient) -> None:
    buyer = await register(client)
    unknown = await buyer.call("POST", "/api/coins/checkout", json={"packageId": "coins-9"})
    assert error(unknown) == (404, "package_not_found") and "coins-550" in unknown.text
    away = await buyer.call(
        "POST", "/api/coins/checkout", json={"packageId": "coins-100", "returnTo": "//evil.test"}
    )
    assert error(away) == (400, "invalid_return")
    guest = (await client.post("/api/auth/guest")).json()["data"]["token"]
    as_guest = await client.post(
        "/api/coins/checkout",
        json={"packageId": "coins-100"},
        headers={"Authorization": f"Bearer {guest}"},
    )
    assert error(as_guest) == (403, "account_required")
    started = await sandbox_checkout(buyer)
    body, signature = sandbox_event(server, started["purchaseId"], "checkout.completed")
    forged = await post_hook(client, SANDBOX_HOOK, body, "OnAir-Sandbox-Signature", "t=1,v1=00")
    assert error(forged) == (400, "invalid_signature")
    unsigned = await client.post(SANDBOX_HOOK, content=body)
    assert error(unsigned) == (400, "invalid_signature")
    tampered = body.replace(b"checkout.completed", b"checkout.cancelled")
    changed = await post_hook(client, SANDBOX_HOOK, tampered, "OnAir-Sandbox-Signature", signature)
    assert error(changed) == (400, "invalid_signature")
    other = await post_hook(client, STRIPE_HOOK, body, "Stripe-Signature", signature)
    assert error(other) == (404, "provider_not_found")
    bad_form = await client.post(started["checkoutUrl"], data={"decision": "steal"})
    assert error(bad_form) == (400, "invalid_decision")
    assert error(await client.get("/coins/sandbox/sbx_nothing")) == (404, "checkout_not_found")
    assert await coins(buyer) == 0


def test_coins_are_off_unless_a_provider_is_set(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "db.sqlite3", allow_topup=False)
    assert settings.coin_provider == "off"
    with running_server(settings) as live, httpx.Client(base_url=live.url) as http:
        user = http.post(
            "/api/auth/register", json={"username": "carol", "password": "correct horse"}
        ).json()["data"]
        auth = {"Authorization": f"Bearer {user['token']}"}
        shop = http.get("/api/coins/packages", headers=auth).json()["data"]
        assert (shop["provider"], shop["sandbox"]) == ("off", False)
        refused = http.post("/api/coins/checkout", json={"packageId": "coins-100"}, headers=auth)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "coins_disabled"
        assert "README" in refused.json()["error"]["message"]
        assert http.get("/coins/sandbox/sbx_x").status_code == 404


def test_settings_refuse_what_cannot_work(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with pytest.raises(ValueError, match="STRIPE_SECRET_KEY"):
        Settings(db_path=db, coins_provider="stripe")
    with pytest.raises(ValueError, match="id:coins:price"):
        Settings(db_path=db, coin_packages="coins-550:550:4,99")
    with pytest.raises(ValueError, match="one of sandbox, stripe, off"):
        Settings(db_path=db, coins_provider="paypal")
    yen = Settings(db_path=db, coin_packages="c:100:500", coin_currency="jpy")
    assert yen.coin_package_list[0].amount == 500


# ---- Stripe ---------------------------------------------------------------------------------


@dataclass
class StripeShop:
    """A backend selling coins through Stripe (its API a local double) and a signed-in buyer."""

    live: LiveServer
    api: StripeApi
    client: httpx.AsyncClient
    buyer: ApiUser

    async def checkout(self) -> dict:
        started = await self.buyer.data(
            "POST", "/api/coins/checkout", json={"packageId": "coins-1200", "returnTo": "/watch/bo"}
        )
        number = len(self.api.sessions)
        assert started["checkoutUrl"] == f"https://checkout.stripe.com/c/pay/cs_test_{number}"
        return started

    async def post(self, body: bytes, signature: str) -> httpx.Response:
        return await post_hook(self.client, STRIPE_HOOK, body, "Stripe-Signature", signature)

    async def deliver(self, event_id: str, kind: str, thing: dict) -> None:
        """An event as Stripe sends it, signed now; it must be taken."""
        body = stripe_event(event_id, kind, thing)
        response = await self.post(body, stripe_signature(body))
        assert response.status_code == 200, response.text


@pytest.fixture
async def stripe_shop(tmp_path: Path) -> AsyncIterator[StripeShop]:
    with stripe_api() as api:
        settings = make_settings(
            tmp_path / "stripe.sqlite3",
            coins_provider="stripe",
            stripe_secret_key="sk_test_offline",
            stripe_webhook_secret=WEBHOOK_SECRET,
            stripe_api_base=api.url,
        )
        with running_server(settings) as live:
            async with httpx.AsyncClient(base_url=live.url) as client:
                yield StripeShop(live, api, client, await register(client))


async def test_stripe_checkout_session_for_a_package(stripe_shop: StripeShop) -> None:
    started = await stripe_shop.checkout()
    shop = await stripe_shop.buyer.data("GET", "/api/coins/packages")
    sent, url = stripe_shop.api.sessions[0], stripe_shop.live.url
    assert sent["mode"] == "payment" and sent["client_reference_id"] == started["purchaseId"]
    assert sent["line_items[0][price_data][unit_amount]"] == "999"
    assert sent["line_items[0][price_data][currency]"] == "usd"
    assert sent["line_items[0][price_data][product_data][name]"] == "1,200 coins"
    assert sent["payment_intent_data[metadata][purchase_id]"] == started["purchaseId"]
    assert sent["success_url"] == f"{url}/watch/bo?coins={started['purchaseId']}"
    assert sent["cancel_url"] == f"{url}/watch/bo?coins=cancelled"
    headers = stripe_shop.api.headers[0]
    assert headers["Authorization"] == "Bearer sk_test_offline"
    assert headers["Idempotency-Key"] == f"checkout-{started['purchaseId']}"
    assert (shop["provider"], shop["sandbox"]) == ("stripe", False)


async def test_stripe_webhooks_signed_wrongly_replayed_and_stale(stripe_shop: StripeShop) -> None:
    buyer, deliver = stripe_shop.buyer, stripe_shop.post
    started = await stripe_shop.checkout()
    session = completed_session(started["purchaseId"], "pi_1")
    body = stripe_event("evt_1", "checkout.session.completed", session)

    wrong = await deliver(body, stripe_signature(body, secret="whsec_someone_else"))
    assert error(wrong) == (400, "invalid_signature")
    stale = await deliver(body, stripe_signature(body, at=int(time.time()) - 3600))
    assert error(stale) == (400, "invalid_signature") and "tolerance" in stale.text
    tampered = body.replace(b'"pi_1"', b'"pi_2"')
    assert error(await deliver(tampered, stripe_signature(body))) == (400, "invalid_signature")
    assert error(await deliver(body, "")) == (400, "invalid_signature")
    assert await coins(buyer) == 0  # nothing unverified credits

    signature = stripe_signature(body)
    assert (await deliver(body, signature)).json()["data"]["duplicate"] is False
    replayed = await deliver(body, signature)  # the same delivery again (within tolerance)
    assert replayed.json()["data"]["duplicate"] is True
    resent = await deliver(body, stripe_signature(body))  # Stripe retrying, signed anew
    assert resent.json()["data"]["duplicate"] is True
    assert await coins(buyer) == 1200

    other = stripe_event("evt_x", "customer.created", {"id": "cus_1", "object": "customer"})
    ignored = await deliver(other, stripe_signature(other))
    assert ignored.status_code == 200 and await coins(buyer) == 1200
    assert_ledger_true(stripe_shop.live, buyer)


async def test_stripe_refunds_partial_full_and_before_the_payment(stripe_shop: StripeShop) -> None:
    buyer, deliver = stripe_shop.buyer, stripe_shop.deliver
    first = await stripe_shop.checkout()
    paid = completed_session(first["purchaseId"], "pi_a")
    await deliver("evt_a1", "checkout.session.completed", paid)
    await deliver("evt_a2", "charge.refunded", refunded_charge("pi_a", 999, 500))  # half
    assert await coins(buyer) == 1200 - 600
    await deliver("evt_a3", "charge.refunded", refunded_charge("pi_a", 999, 999))  # the rest
    assert await coins(buyer) == 0
    purchase = await buyer.data("GET", f"/api/coins/purchases/{first['purchaseId']}")
    assert (purchase["status"], purchase["coinsTakenBack"]) == ("refunded", 1200)

    # A refund delivered before the payment's event: held, then applied with it.
    second = await stripe_shop.checkout()
    await deliver("evt_b1", "charge.refunded", refunded_charge("pi_b", 999, 999))
    assert await coins(buyer) == 0
    paid = completed_session(second["purchaseId"], "pi_b")
    await deliver("evt_b2", "checkout.session.completed", paid)
    assert await coins(buyer) == 0
    history = (await buyer.data("GET", "/api/wallet"))["history"]
    assert [h["kind"] for h in history[:2]] == ["coins:refund", "coins:purchase"]

    # Paid later (an async payment method): credited only when it succeeds.
    third = await stripe_shop.checkout()
    unpaid = completed_session(third["purchaseId"], "pi_c", paid=False)
    await deliver("evt_c1", "checkout.session.completed", unpaid)
    assert await coins(buyer) == 0
    succeeded = {**unpaid, "payment_status": "paid"}
    await deliver("evt_c2", "checkout.session.async_payment_succeeded", succeeded)
    assert await coins(buyer) == 1200
    assert stripe_shop.live.app.state.services.db.scalar("SELECT COUNT(*) FROM account_flags") == 0
    assert_ledger_true(stripe_shop.live, buyer)


async def test_stripe_failing_is_an_error_to_act_on(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "down.sqlite3",
        coins_provider="stripe",
        stripe_secret_key="sk_test_offline",
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base="http://127.0.0.1:9",  # nothing listens there
    )
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=60) as client:
            buyer = await register(client)
            refused = await buyer.call(
                "POST", "/api/coins/checkout", json={"packageId": "coins-100"}
            )
    assert error(refused) == (502, "payment_provider_unavailable")
    assert "try again" in refused.json()["error"]["message"]
    assert json.loads(refused.text)["success"] is False


def test_onair_serve_reads_the_coin_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "ONAIR_COINS_PROVIDER": "stripe",
        "ONAIR_COIN_PACKAGES": "small:50:0.49",
        "ONAIR_COIN_CURRENCY": "EUR",
        "STRIPE_SECRET_KEY": "sk_test_env",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ONAIR_PUBLIC_URL": "https://live.example/",
    }.items():
        monkeypatch.setenv(name, value)
    settings = onair_cli._settings_from(argparse.Namespace(port=8765, db=None))
    assert isinstance(settings, Settings)
    assert settings.coin_provider == "stripe" and settings.public_url == "https://live.example"
    assert [(p.id, p.coins, p.amount, p.currency) for p in settings.coin_package_list] == [
        ("small", 50, 49, "eur")
    ]
    monkeypatch.setenv("ONAIR_COIN_PACKAGES", "nonsense")
    with pytest.raises(SystemExit, match="id:coins:price"):
        onair_cli._settings_from(argparse.Namespace(port=8765, db=None))
