"""Two backend nodes (separate processes and ports, as if on two machines) sharing one
PostgreSQL database and one Redis: money stays exact, events cross nodes in order, deadlines
fire once, and a node that dies loses nothing it acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from backend.storage.db import iso, utc_now
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.engines import PostgresCluster
from tests.faults.process import Backend
from tests.faults.storm import Attempt, retry_unanswered, storm
from tests.faults.test_crash_recovery import (
    assert_every_acknowledgement_was_kept,
    assert_gifts_add_up,
    assert_wallets_are_ledger_sums,
    call,
    register_all,
    wait_until,
)
from tests.helpers_media import (  # noqa: F401
    Collector,
    live_publisher,
    loopback_ice,
    played_markers,
)
from tests.servers import redis_server

pytestmark = pytest.mark.one_engine  # several nodes need PostgreSQL


@contextlib.contextmanager
def two_nodes(tmp_path: Path, postgres_cluster: PostgresCluster) -> Iterator[list[Backend]]:
    database_url = postgres_cluster.fresh_database()
    with redis_server(tmp_path) as redis_url, contextlib.ExitStack() as stack:
        pair = [
            Backend(tmp_path / "secret.sqlite3", database_url=database_url, redis_url=redis_url)
            for _ in range(2)
        ]
        for node in pair:
            node.start()
            stack.callback(node.stop)
        yield pair


@pytest.fixture
def nodes(tmp_path: Path, postgres_cluster: PostgresCluster) -> Iterator[list[Backend]]:
    with two_nodes(tmp_path, postgres_cluster) as pair:
        yield pair


@pytest.fixture
def quickly_dead_nodes(
    tmp_path: Path, postgres_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Backend]]:
    """Two nodes that count a node as dead after 6 s without a heartbeat (default 15 s)."""
    monkeypatch.setenv("ONAIR_NODE_TTL", "6")
    with two_nodes(tmp_path, postgres_cluster) as pair:
        yield pair


def start_battle(node: Backend, host1: tuple[str, str], host2: tuple[str, str]) -> str:
    battle = call(
        node.url, host1[1], "POST", "/api/pk-battles", {"opponent": host2[0], "duration": 5}
    )
    call(node.url, host2[1], "POST", f"/api/pk-battles/{battle['id']}/accept")
    return str(battle["id"])


async def test_gifts_split_across_nodes_add_up_and_cross_in_order(nodes: list[Backend]) -> None:
    a, b = nodes
    host1, host2 = register_all(a.url, 2, 0)
    gifters = register_all(b.url, 6, 1000)
    battle = start_battle(a, host1, host2)
    path = f"/api/pk-battles/{battle}/gift"

    async with Listener(b.ws_url, host1[1]) as on_b:
        await on_b.join(f"pk-battle:{battle}")
        sequence = [
            Attempt(gifters[0][1], path, {"giftId": "star", "quantity": 1, "toHost": host1[0]})
            for _ in range(15)
        ]
        others = [
            Attempt(token, path, {"giftId": "rose", "quantity": 1, "toHost": host2[0]})
            for _, token in gifters[1:]
            for _ in range(10)
        ]

        async def in_order_through_a() -> None:
            async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
                for attempt in sequence:
                    await attempt.send(http)

        async def spread_over_both() -> None:
            async with (
                httpx.AsyncClient(base_url=a.url, timeout=30) as via_a,
                httpx.AsyncClient(base_url=b.url, timeout=30) as via_b,
            ):
                clients = itertools.cycle((via_a, via_b))
                await asyncio.gather(*(attempt.send(next(clients)) for attempt in others))

        await asyncio.gather(in_order_through_a(), spread_over_both())
        assert all(attempt.status == 200 for attempt in [*sequence, *others])
        expected = [attempt.data["scores"]["host1"] for attempt in sequence]
        await on_b.wait_for(
            lambda e: (
                e["event"] == "pk-battle:gift" and e["data"]["scores"]["host1"] == expected[-1]
            )
        )
        seen = [
            data["scores"]["host1"]
            for data in on_b.named("pk-battle:gift")
            if data["gift"]["toHost"] == host1[0]
        ]
    assert seen == expected == [10 * n for n in range(1, 16)]
    detail = call(b.url, host1[1], "GET", f"/api/pk-battles/{battle}")
    assert detail["scores"] == {"host1": 150, "host2": 50}  # rose = 1 coin, 50 of them
    assert_gifts_add_up(a, battle)
    assert_wallets_are_ledger_sums(a)


async def test_two_nodes_spending_the_same_wallets_at_once_never_overspend(
    nodes: list[Backend],
) -> None:
    """Gifts to two battles, spread over both nodes: their groups run side by side (each locks
    its battle's row and the wallets it moves). Senders who can pay for ten gifts ask for
    fifteen; a gift sent through both nodes at once under one Idempotency-Key is one gift."""
    a, b = nodes
    hosts = register_all(a.url, 4, 0)
    gifters = register_all(b.url, 4, 100)  # a star is 10 coins: ten each
    battles = [start_battle(a, hosts[0], hosts[1]), start_battle(b, hosts[2], hosts[3])]
    attempts = [
        Attempt(
            token,
            f"/api/pk-battles/{battles[n % 2]}/gift",
            {"giftId": "star", "quantity": 1, "toHost": hosts[2 * (n % 2) + n // 2 % 2][0]},
        )
        for _, token in gifters
        for n in range(15)
    ]
    ((twin_id, twin_token),) = register_all(a.url, 1, 10)
    twice = [
        Attempt(twin_token, f"/api/pk-battles/{battles[0]}/gift", {"giftId": "star",
                "quantity": 1, "toHost": hosts[0][0]}, key="one-gift")
        for _ in range(2)
    ]  # fmt: skip
    async with clients_of(a, b) as (via_a, via_b):
        clients = itertools.cycle((via_a, via_b))
        await asyncio.gather(*(attempt.send(next(clients)) for attempt in [*attempts, *twice]))
    for _, token in gifters:
        statuses = sorted(attempt.status or 0 for attempt in attempts if attempt.token == token)
        assert statuses == [200] * 10 + [409] * 5
    assert [attempt.status for attempt in twice] == [200, 200]
    assert sorted(bool(attempt.data.get("replayed")) for attempt in twice) == [False, True]
    spenders = [twin_id, *(gifter_id for gifter_id, _ in gifters)]
    marks = ", ".join("?" for _ in spenders)
    left = a.query(f"SELECT coins FROM wallets WHERE userId IN ({marks})", tuple(spenders))
    assert left == [{"coins": 0}] * 5
    for battle in battles:
        scores = a.query(
            "SELECT host1Score + host2Score AS coins, giftCount FROM pk_battles WHERE id = ?",
            (battle,),
        )
        gifts = a.query(
            "SELECT SUM(coins) AS coins, COUNT(*) AS giftCount FROM pk_gifts WHERE battleId = ?",
            (battle,),
        )
        assert scores == gifts
    assert a.query("SELECT COUNT(*) AS n FROM pk_gifts") == [{"n": 41}]
    assert_wallets_are_ledger_sums(b)


def test_a_battles_end_fires_once_with_two_schedulers(nodes: list[Backend]) -> None:
    a, b = nodes
    host1, host2 = register_all(a.url, 2, 0)
    ((_, token),) = register_all(b.url, 1, 100)
    battle = start_battle(a, host1, host2)
    call(
        b.url,
        token,
        "POST",
        f"/api/pk-battles/{battle}/gift",
        {"giftId": "star", "quantity": 2, "toHost": host1[0]},
    )
    now = iso(utc_now())
    a.execute("UPDATE pk_battles SET endsAt = ? WHERE id = ?", (now, battle))
    a.execute("UPDATE deadlines SET dueAt = ? WHERE refId = ?", (now, battle))

    def ended() -> bool:
        return bool(
            a.query("SELECT 1 FROM pk_battles WHERE id = ? AND status = 'ended'", (battle,))
        )

    wait_until(ended, "the battle's end")
    rewards = a.query(
        "SELECT userId, COUNT(*) AS n FROM ledger WHERE kind = 'pk:reward' AND refId = ?"
        " GROUP BY userId",
        (battle,),
    )
    assert rewards and all(row["n"] == 1 for row in rewards)
    assert a.query("SELECT COUNT(*) AS n FROM deadlines WHERE refId = ?", (battle,)) == [{"n": 0}]
    assert_wallets_are_ledger_sums(b)


async def test_a_node_killed_mid_gift_storm_loses_no_acknowledged_gift(
    nodes: list[Backend],
) -> None:
    a, b = nodes
    host1, host2 = register_all(a.url, 2, 0)
    gifters = register_all(a.url, 8, 1000)
    battle = start_battle(a, host1, host2)
    path = f"/api/pk-battles/{battle}/gift"
    hosts = itertools.cycle((host1[0], host2[0]))
    lanes = [
        [
            Attempt(token, path, {"giftId": "star", "quantity": 1, "toHost": next(hosts)})
            for _ in range(8)
        ]
        for _, token in gifters
    ]
    to_a, to_b = lanes[:4], lanes[4:]

    async def on_b() -> None:
        async with httpx.AsyncClient(base_url=b.url, timeout=30) as http:
            await asyncio.gather(*(asyncio.gather(*(x.send(http) for x in lane)) for lane in to_b))

    await asyncio.gather(storm(a.url, to_a, 10, a.kill), on_b())
    attempts = [x for lane in lanes for x in lane]
    await retry_unanswered(b.url, attempts)  # clients of the dead node retry on the other
    assert all(x.status == 200 for x in attempts)
    assert_every_acknowledgement_was_kept(b, attempts)
    assert_gifts_add_up(b, battle)
    assert_wallets_are_ledger_sums(b)
    assert b.query("SELECT giftCount FROM pk_battles WHERE id = ?", (battle,)) == [
        {"giftCount": 64}
    ]


async def test_a_hundred_buyers_on_two_nodes_get_exactly_the_stock(nodes: list[Backend]) -> None:
    a, b = nodes
    ((_, seller_token),) = register_all(a.url, 1, 0)
    buyers = register_all(b.url, 100, 100)
    product = call(
        a.url, seller_token, "POST", "/api/products", {"name": "Cap", "price": 30, "stock": 10}
    )
    shop = call(a.url, seller_token, "POST", "/api/live-shopping", {"title": "Drop"})
    call(
        a.url,
        seller_token,
        "POST",
        f"/api/live-shopping/{shop['id']}/products",
        {"productId": product["id"]},
    )
    call(a.url, seller_token, "POST", f"/api/live-shopping/{shop['id']}/start")
    path = f"/api/live-shopping/{shop['id']}/orders"
    orders = [
        Attempt(token, path, {"productId": product["id"], "quantity": 1}) for _, token in buyers
    ]
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=30) as via_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as via_b,
    ):
        clients = itertools.cycle((via_a, via_b))
        await asyncio.gather(*(order.send(next(clients)) for order in orders))
    assert sum(order.status == 201 for order in orders) == 10
    assert {order.status for order in orders} == {201, 409}
    assert a.query("SELECT stock FROM products WHERE id = ?", (product["id"],)) == [{"stock": 0}]
    assert a.query("SELECT COUNT(*) AS n FROM shopping_orders") == [{"n": 10}]
    assert_wallets_are_ledger_sums(b)


# ---- media: a stream's SFU is on the node its studio published to --------------------------
@contextlib.asynccontextmanager
async def clients_of(*nodes: Backend) -> AsyncIterator[list[httpx.AsyncClient]]:
    """An HTTP client of each node, in order."""
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(httpx.AsyncClient(base_url=node.url, timeout=30))
            for node in nodes
        ]


async def whep_offer() -> str:
    """A viewer's WHEP offer (receive video), as a browser would send it."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp
    await pc.close()
    return str(offer)


@pytest.mark.usefixtures("loopback_ice")
async def test_a_viewer_on_node_b_plays_the_stream_published_on_node_a(
    nodes: list[Backend],
) -> None:
    a, b = nodes
    async with clients_of(a, b) as (via_a, via_b):
        alice, viewer = await register(via_a), await register(via_b, coins=10)
        assert (await viewer.data("GET", f"/api/streams/{alice.username}"))["live"] is False
        async with live_publisher(a.url, alice.username, alice.token, size=(256, 144)):
            # B takes gifts for A's live, by any spelling of its name.
            gift = f"/api/streams/{alice.username.upper()}/gift"
            sent = await viewer.data("POST", gift, json={"giftId": "rose"})
            assert sent["balance"]["coins"] == 9
            assert a.query(
                "SELECT n.url FROM media_streams s JOIN media_nodes n ON n.id = s.nodeId"
            ) == [{"url": a.url}]
            assert (await viewer.data("GET", f"/api/streams/{alice.username}"))["live"] is True
            found = await viewer.data("GET", "/api/auth/users", params={"q": alice.username})
            assert [(u["username"], u["live"]) for u in found] == [(alice.username, True)]
            markers = await played_markers(f"{b.url}/whep/{alice.username}", viewer.token, 5)
            # A WHEP session's Location works through B too (PATCH and DELETE go to A).
            answer = await viewer.call(
                "POST",
                f"/whep/{alice.username}",
                content=await whep_offer(),
                headers={"Content-Type": "application/sdp"},
            )
            assert answer.status_code == 201, answer.text
            location = answer.headers["location"]
            assert (await viewer.call("DELETE", location)).status_code == 200
            assert (await viewer.call("DELETE", location)).status_code == 404  # A ended it
        assert len(markers) >= 5 and markers == sorted(markers)
        assert a.query("SELECT stream FROM media_streams") == []  # the publisher left A
        assert (await viewer.data("GET", f"/api/streams/{alice.username}"))["live"] is False


async def markers_played_over_webrtc_offer(viewer: ApiUser, stream: str, count: int) -> list[int]:
    """Play ``stream`` as ``POST /api/webrtc/offer`` with a ``streamId`` does (JSON, not WHEP)
    until ``count`` markers were read back; the session is ended through its ``location``."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    tracks: list[MediaStreamTrack] = []
    pc.on("track", tracks.append)
    await pc.setLocalDescription(await pc.createOffer())
    body = {"streamId": stream, "sdp": pc.localDescription.sdp}
    answer = await viewer.data("POST", "/api/webrtc/offer", json=body)
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    video = Collector(tracks[0]).start()
    try:
        await video.wait_for(lambda: len(video.markers) >= count)
        ended = await viewer.call("DELETE", answer["location"])
    finally:
        await video.stop()
        await pc.close()
    assert ended.status_code == 200
    assert (await viewer.call("DELETE", answer["location"])).status_code == 404  # A ended it
    return video.markers


@pytest.mark.usefixtures("loopback_ice")
async def test_node_b_lists_joins_and_plays_over_webrtc_a_stream_published_on_node_a(
    nodes: list[Backend],
) -> None:
    a, b = nodes
    async with clients_of(a, b) as (via_a, via_b):
        alice, viewer = await register(via_a), await register(via_b)
        join = f"/api/webrtc/stream/{alice.username}/join"
        assert (await viewer.data("GET", join))["live"] is False
        async with live_publisher(a.url, alice.username, alice.token, size=(256, 144)):
            listing = await listed_with_a_still(viewer, alice.username)
            [card] = [s for s in listing["live"] if s["stream"] == alice.username]
            assert card["streamer"]["id"] == alice.id
            still = await viewer.call("GET", card["stillUrl"])  # A's picture, through B
            assert still.status_code == 200 and still.headers["content-type"] == "image/jpeg"
            joined = await viewer.data("GET", join)
            assert joined["live"] is True and joined["codecs"]["video"] == "video/VP8"
            studio_via_b = ApiUser(via_b, alice.id, alice.username, alice.token)
            started = await studio_via_b.data("POST", "/api/webrtc/stream/start", json={})
            assert started["live"] is True  # the studio asks B: its stream is live on A
            markers = await markers_played_over_webrtc_offer(viewer, alice.username, 5)
        assert len(markers) >= 5 and markers == sorted(markers)
        listing = await viewer.data("GET", "/api/discover")
        assert alice.username not in [s["stream"] for s in listing["live"]]


async def listed_with_a_still(viewer: ApiUser, stream: str, tries: int = 150) -> dict[str, Any]:
    """The home listing once it shows ``stream`` with a still (the holder takes it from the
    next keyframe)."""
    for _ in range(tries):
        listing: dict[str, Any] = await viewer.data("GET", "/api/discover")
        if any(s["stream"] == stream and s["stillUrl"] for s in listing["live"]):
            return listing
        await asyncio.sleep(0.1)
    raise AssertionError(f"{stream} was never listed with a still: {listing}")


@pytest.mark.usefixtures("loopback_ice")
async def test_a_dead_nodes_streams_are_released(quickly_dead_nodes: list[Backend]) -> None:
    a, b = quickly_dead_nodes
    async with httpx.AsyncClient(base_url=b.url, timeout=30) as via_b:
        alice, viewer = await register(via_b), await register(via_b)
        offer = await whep_offer()

        async def play_through_b() -> httpx.Response:
            return await viewer.call(
                "POST",
                f"/whep/{alice.username}",
                content=offer,
                headers={"Content-Type": "application/sdp"},
            )

        async with live_publisher(a.url, alice.username, alice.token, size=(256, 144)):
            a.kill()
            refused = await play_through_b()
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "media_node_unavailable"

            def released() -> bool:
                return b.query("SELECT stream FROM media_streams") == []

            await asyncio.to_thread(wait_until, released, "B releasing the stream of A")
            assert b.query("SELECT COUNT(*) AS n FROM media_nodes") == [{"n": 1}]  # B's own
            state = await viewer.data("GET", f"/api/streams/{alice.username}")
            assert state["live"] is False
            assert b.query(
                "SELECT liveSince FROM stream_details WHERE stream = ?", (alice.username,)
            ) == [{"liveSince": None}]  # its live ended
            assert (await play_through_b()).status_code == 404  # not live anywhere
