"""Gifts on every live, outside PK battles too: a real server, a real SQLite file, real /ws,
and the studio core publishing the live (a stream that is not live takes no gift)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from backend.services.chat.system_lines import SystemLines
from backend.settings import Settings
from backend.storage.db import iso, utc_now
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.backend.test_multihost import add_cohost, new_session
from tests.backend.test_pk_battles import start_battle
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer, running_server
from wire.events import PK, Stream, stream_room

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(120)]


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        yield http


def gift_path(streamer: ApiUser) -> str:
    return f"/api/streams/{streamer.username}/gift"


@contextlib.asynccontextmanager
async def on_air(base_url: str, *streamers: ApiUser) -> AsyncIterator[None]:
    """The streamers live (publishing a small picture) for the block."""
    async with contextlib.AsyncExitStack() as stack:
        for streamer in streamers:
            await stack.enter_async_context(
                live_publisher(base_url, streamer.username, streamer.token, size=(160, 90))
            )
        yield


def error(response: httpx.Response) -> tuple[int, str]:
    assert response.json()["success"] is False, response.text
    return response.status_code, response.json()["error"]["code"]


async def test_a_gift_outside_a_battle_pays_the_streamer_and_is_announced(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    streamer = await register(client)
    fan = await register(client, coins=100)
    async with (
        on_air(server.url, streamer),
        Listener(server.ws_url, fan.token) as ws,
        Listener(server.ws_url, streamer.token) as studio,
    ):
        await ws.join(stream_room(streamer.username))
        sent = await fan.data(
            "POST",
            f"/api/streams/{streamer.username.upper()}/gift",  # any spelling of the name
            json={"giftId": "star", "quantity": 3},
            headers={"Idempotency-Key": "g-1"},
        )
        event = (await ws.wait_for(Stream.GIFT))["data"]
        to_studio = (await studio.wait_for(Stream.GIFT))["data"]  # the streamer's user room
        line = await ws.wait_for(
            lambda e: e["event"] == "chat:message" and e["data"]["system"] == "gift"
        )
        again = await fan.data(
            "POST",
            gift_path(streamer),
            json={"giftId": "star", "quantity": 3},
            headers={"Idempotency-Key": "g-1"},
        )
    assert sent["balance"]["coins"] == 70 and sent["battle"] is None
    assert sent["stream"] == streamer.username and sent["replayed"] is False
    assert (sent["gift"]["coins"], sent["gift"]["recipient"]["id"]) == (30, streamer.id)
    assert event == to_studio and event["stream"] == streamer.username
    assert event["gift"]["sender"]["id"] == fan.id and event["gift"]["quantity"] == 3
    assert line["data"]["text"] == f"{fan.username} sent 3× Star"
    received = (await streamer.data("GET", "/api/wallet"))["history"][0]
    assert (received["kind"], received["coins"]) == ("gift:received", 30)
    spent = (await fan.data("GET", "/api/wallet"))["history"][0]
    assert (spent["kind"], spent["coins"], spent["refId"]) == ("gift:sent", -30, received["refId"])
    assert again["replayed"] is True and again["balance"]["coins"] == 70
    assert (await streamer.data("GET", "/api/wallet"))["coins"] == 30


async def test_a_stream_that_is_not_live_takes_no_gift(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    streamer = await register(client)
    fan = await register(client, coins=3)
    offline = await fan.call("POST", gift_path(streamer), json={"giftId": "rose"})
    assert error(offline) == (409, "stream_offline")
    message = offline.json()["error"]["message"]
    assert f"{streamer.username} isn't live right now" in message
    assert "no coins were spent" in message
    assert (await fan.data("GET", "/api/wallet"))["coins"] == 3
    assert server.app.state.services.db.scalar("SELECT COUNT(*) FROM stream_gifts") == 0
    async with on_air(server.url, streamer):
        sent = await fan.data("POST", gift_path(streamer), json={"giftId": "rose"})
    assert sent["balance"]["coins"] == 2


async def test_a_host_in_a_battle_takes_gifts_whatever_the_media_says(
    client: httpx.AsyncClient,
) -> None:
    host, opponent = await register(client), await register(client)
    fan = await register(client, coins=3)
    battle = await start_battle(host, opponent)  # no picture published: the battle is the live
    sent = await fan.data("POST", gift_path(host), json={"giftId": "rose"})
    assert sent["battle"]["battleId"] == battle["id"] and sent["balance"]["coins"] == 2


async def test_who_may_send_and_receive(server: LiveServer, client: httpx.AsyncClient) -> None:
    streamer, stranger = await register(client), await register(client)
    fan = await register(client, coins=3)
    body = {"giftId": "rose"}
    assert error(await client.post(gift_path(streamer), json=body)) == (401, "unauthorized")
    guest = (await client.post("/api/auth/guest")).json()["data"]["token"]
    as_guest = await client.post(
        gift_path(streamer), json=body, headers={"Authorization": f"Bearer {guest}"}
    )
    assert error(as_guest) == (403, "account_required")
    missing = await fan.call("POST", "/api/streams/nobody-here/gift", json=body)
    assert error(missing) == (404, "stream_not_found")
    async with on_air(server.url, streamer):
        self_gift = await streamer.call("POST", gift_path(streamer), json=body)
        assert error(self_gift) == (400, "self_gift")
        elsewhere = await fan.call(
            "POST", gift_path(streamer), json={**body, "toHost": stranger.id}
        )
        assert error(elsewhere) == (400, "not_a_host")
        assert "co-host" in elsewhere.json()["error"]["message"]
        unknown = await fan.call("POST", gift_path(streamer), json={"giftId": "yacht"})
        assert error(unknown) == (404, "gift_not_found")
        too_many = await fan.call("POST", gift_path(streamer), json={"giftId": "heart"})
        assert error(too_many) == (409, "insufficient_funds")
        assert "Not enough coins" in too_many.json()["error"]["message"]
        priced = await fan.call("POST", gift_path(streamer), json={**body, "coins": 0})
        assert error(priced) == (422, "validation_error")  # the server prices a gift
    assert (await fan.data("GET", "/api/wallet"))["coins"] == 3


async def test_a_cohost_of_the_live_can_be_gifted(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    primary, cohost = await register(client), await register(client)
    fan = await register(client, coins=50)
    session = await new_session(primary)
    await add_cohost(session, primary, cohost)
    await primary.data("POST", f"/api/multihost/{session['id']}/start")
    async with on_air(server.url, primary, cohost), Listener(server.ws_url, fan.token) as ws:
        await ws.join(stream_room(primary.username))
        sent = await fan.data(
            "POST", gift_path(primary), json={"giftId": "heart", "toHost": cohost.id}
        )
        line = await ws.wait_for(
            lambda e: e["event"] == "chat:message" and e["data"]["system"] == "gift"
        )
        assert (await cohost.data("GET", "/api/wallet"))["coins"] == 5
        # On the co-host's own live, the primary host is a co-host too.
        await fan.data("POST", gift_path(cohost), json={"giftId": "heart", "toHost": primary.id})
    assert sent["gift"]["recipient"]["id"] == cohost.id
    assert line["data"]["text"] == f"{fan.username} sent 1× Heart to {cohost.username}"
    assert (await primary.data("GET", "/api/wallet"))["coins"] == 5


async def test_a_gift_during_a_battle_counts_once_for_the_battle(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, opponent = await register(client), await register(client)
    fan = await register(client, coins=100)
    battle = await start_battle(host, opponent)
    async with on_air(server.url, host), Listener(server.ws_url, fan.token) as ws:
        await ws.join(stream_room(host.username))
        await ws.join(f"pk-battle:{battle['id']}")
        sent = await fan.data("POST", gift_path(host), json={"giftId": "star", "quantity": 2})
        # The opponent's side can be supported from this live too: it is the same battle.
        await fan.data("POST", gift_path(host), json={"giftId": "rose", "toHost": opponent.id})
        await ws.wait_for(lambda e: e["event"] == PK.GIFT and e["data"]["gift"]["name"] == "Rose")
    assert sent["battle"]["battleId"] == battle["id"]
    assert sent["battle"]["scores"]["host1"] == 20 and sent["balance"]["coins"] == 80
    detail = await host.data("GET", f"/api/pk-battles/{battle['id']}")
    assert (detail["scores"], detail["giftCount"]) == ({"host1": 20, "host2": 1}, 2)
    assert len(ws.named(PK.GIFT)) == 2 and ws.named(Stream.GIFT) == []
    db = server.app.state.services.db
    assert db.scalar("SELECT COUNT(*) FROM stream_gifts") == 0
    assert db.scalar("SELECT COUNT(*) FROM ledger WHERE kind = 'gift:received'") == 2
    assert (await host.data("GET", "/api/wallet"))["coins"] == 20


async def test_two_hundred_concurrent_gifts_keep_totals_exact(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    streamer = await register(client)
    fans = await asyncio.gather(*(register(client, coins=15) for _ in range(50)))

    async def send(i: int) -> int:
        response = await fans[i % 50].call("POST", gift_path(streamer), json={"giftId": "heart"})
        return response.status_code

    async with on_air(server.url, streamer):
        statuses = await asyncio.gather(*(send(i) for i in range(200)))
    # Each fan sends four 5-coin hearts with 15 coins: three go through, one is refused.
    assert statuses.count(200) == 150 and set(statuses) <= {200, 409}
    wallet = server.app.state.services.wallet
    assert wallet.balance(streamer.id)["coins"] == 150 * 5
    for user in [streamer, *fans]:
        assert wallet.balance(user.id) == wallet.ledger_balance(user.id)
    for fan in fans:
        assert wallet.balance(fan.id)["coins"] == 0
    db = server.app.state.services.db
    assert db.scalar("SELECT SUM(coins) FROM stream_gifts") == 750


async def test_income_since_the_live_began_with_top_gifters(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, opponent = await register(client), await register(client)
    big, small = await register(client, coins=500), await register(client, coins=500)
    before = iso(utc_now() - timedelta(seconds=1))
    async with on_air(server.url, host):
        await big.data("POST", gift_path(host), json={"giftId": "crown"})
        await small.data("POST", gift_path(host), json={"giftId": "rose", "quantity": 5})
    battle = await start_battle(host, opponent)
    await small.data(
        "POST", f"/api/pk-battles/{battle['id']}/gift", json={"giftId": "star", "toHost": host.id}
    )
    income = await host.data("GET", "/api/gifts/income", params={"since": before})
    assert (income["coins"], income["gifts"]) == (99 + 5 + 10, 7)
    tops = [(g["id"], g["coins"]) for g in income["topGifters"]]
    assert tops == [(big.id, 99), (small.id, 15)]
    later = iso(utc_now() + timedelta(seconds=5))
    assert (await host.data("GET", "/api/gifts/income", params={"since": later}))["coins"] == 0
    bad = await host.call("GET", "/api/gifts/income", params={"since": "yesterday"})
    assert error(bad) == (422, "validation_error")


async def test_a_gift_line_still_gathered_when_the_server_stops_is_written(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SystemLines, "FLUSH_S", 3600.0)  # only the shutdown can write it
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            streamer, fan = await register(http), await register(http, coins=100)
            async with on_air(live.url, streamer):
                await fan.data("POST", gift_path(streamer), json={"giftId": "star", "quantity": 2})
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            again = dataclasses.replace(streamer, client=http)
            page = await again.data("GET", f"/api/streams/{streamer.username}/chat")
    lines = [m["text"] for m in page["messages"] if m.get("system") == "gift"]
    assert lines == [f"{fan.username} sent 2× Star"]
