"""The studio's REST client against a real backend on loopback."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from studio.core.api_client import ApiClient, ApiError, BackendUnreachable, NotSignedIn
from tests.servers import LiveServer, free_port

PASSWORD = "correct horse"


def _name() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[ApiClient]:
    api = ApiClient(server.url)
    yield api
    await api.aclose()


async def _signed_in(server: LiveServer, coins: int = 0) -> ApiClient:
    api = ApiClient(server.url)
    await api.register(_name(), PASSWORD)
    if coins:
        await api.topup(coins)
    return api


async def test_register_login_and_me(client: ApiClient) -> None:
    name = _name()
    session = await client.register(name, PASSWORD, "Night Owl")
    assert session.user.username == name
    assert session.user.label == "Night Owl"
    assert client.token == session.token

    fresh = ApiClient(client.base_url)
    try:
        again = await fresh.login(name, PASSWORD)
        assert again.user.id == session.user.id
        me = await fresh.me()
        assert (me.id, me.display_name, me.coins) == (session.user.id, "Night Owl", 0)
    finally:
        await fresh.aclose()


async def test_errors_carry_the_backend_code_and_message(client: ApiClient) -> None:
    name = _name()
    await client.register(name, PASSWORD)
    with pytest.raises(ApiError) as taken:
        await client.register(name, PASSWORD)
    assert (taken.value.status, taken.value.code) == (409, "username_taken")
    assert name in str(taken.value)

    with pytest.raises(ApiError) as wrong:
        await client.login(name, "not the password")
    assert (wrong.value.status, wrong.value.code) == (401, "bad_credentials")

    with pytest.raises(ApiError) as short:
        await client.register(_name(), "short")
    assert short.value.code == "invalid_password"


async def test_signed_out_client_refuses_before_calling(server: LiveServer) -> None:
    api = ApiClient(server.url)
    try:
        with pytest.raises(NotSignedIn):
            await api.wallet()
        assert (await api.health()).status == "ok"
    finally:
        await api.aclose()


async def test_unreachable_backend_is_one_clear_error() -> None:
    api = ApiClient(f"http://127.0.0.1:{free_port()}", token="t", timeout=2)
    try:
        with pytest.raises(BackendUnreachable) as down:
            await api.me()
        assert down.value.code == "unreachable"
        assert "Cannot reach the backend" in str(down.value)
        assert "is the server running" in str(down.value)
        assert "Error" not in str(down.value)  # words, not an exception's class name
    finally:
        await api.aclose()


async def test_search_wallet_and_gifts(server: LiveServer) -> None:
    alice = await _signed_in(server, coins=300)
    bob = await _signed_in(server)
    try:
        bob_user = await bob.me()
        found = await alice.search_users(bob_user.username[:6])
        assert bob_user.id in [u.id for u in found]
        assert (await alice.me()).id not in [u.id for u in await alice.search_users("")]
        assert (await alice.wallet()).coins == 300
        gifts = await alice.gifts()
        assert [g.id for g in gifts][:2] == ["rose", "heart"]
        assert all(g.coins > 0 for g in gifts)
    finally:
        await alice.aclose()
        await bob.aclose()


async def test_battle_lifecycle_through_typed_methods(server: LiveServer) -> None:
    host1, host2, fan = (
        await _signed_in(server),
        await _signed_in(server),
        await _signed_in(server, coins=1000),
    )
    try:
        h1, h2 = await host1.me(), await host2.me()
        battle = await host1.create_battle(h2.id, 1, "Friday night")
        assert (battle.status, battle.title, battle.host2.id) == ("pending", "Friday night", h2.id)
        assert battle.invite_expires_at is not None and battle.ends_at is None

        started = await host2.accept_battle(battle.id)
        assert started.status == "active"
        assert started.ends_at is not None and started.server_time is not None
        assert started.side_of(h1.id) == "host1" and started.opponent_of(h1.id).id == h2.id

        gift = await fan.send_gift(battle.id, "star", h2.id, quantity=3, idempotency_key="k1")
        replay = await fan.send_gift(battle.id, "star", h2.id, quantity=3, idempotency_key="k1")
        assert (gift.gift.coins, gift.gift.side, gift.scores["host2"]) == (30, "host2", 30)
        assert (gift.balance.coins, gift.replayed, replay.replayed) == (970, False, True)
        assert replay.scores["host2"] == 30  # the same key moves coins once
        assert (await fan.wallet()).coins == 970

        detail = await host1.battle(battle.id)
        assert detail.host2.score == 30
        assert [s.coins for s in detail.top_supporters.host2] == [30]
        assert detail.host1.live is False  # not publishing
        assert [b.id for b in await fan.active_battles()] == [battle.id]
        assert battle.id in [b.id for b in await host1.user_battles(h1.id)]

        with pytest.raises(ApiError) as self_gift:
            await host1.send_gift(battle.id, "rose", h1.id)
        assert self_gift.value.code == "self_gift"

        forfeited = await host1.leave_battle(battle.id)
        assert (forfeited.status, forfeited.end_reason) == ("ended", "forfeit")
        assert (forfeited.winner, forfeited.forfeited_by) == (h2.id, h1.id)
    finally:
        for api in (host1, host2, fan):
            await api.aclose()


async def test_opponent_declines_a_challenge(server: LiveServer) -> None:
    host1, host2 = await _signed_in(server), await _signed_in(server)
    try:
        battle = await host1.create_battle((await host2.me()).id, 2)
        declined = await host2.leave_battle(battle.id)
        assert (declined.status, declined.end_reason) == ("cancelled", "declined")
    finally:
        await host1.aclose()
        await host2.aclose()


async def test_premium_filter_unlock_through_the_catalog(server: LiveServer) -> None:
    buyer = await _signed_in(server, coins=1_000)
    try:
        catalog = await buyer.filter_catalog()
        premium = next(e for e in catalog.values() if e.premium)
        assert premium.locked and premium.price > 0
        assert not catalog["beauty.brighten"].locked
        wallet = await buyer.unlock_filter(premium.id)
        assert wallet.coins == 1_000 - premium.price
        again = await buyer.unlock_filter(premium.id)  # same idempotency key: charged once
        assert again.coins == wallet.coins
        assert not (await buyer.filter_catalog())[premium.id].locked
    finally:
        await buyer.aclose()
