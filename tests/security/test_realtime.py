"""/ws under attack: other users' rooms, spoofed signaling, message floods, huge messages;
and the REST limits beside it (429 with Retry-After, 413)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from backend.realtime.hub import CLOSE_POLICY, CLOSE_TOO_BIG
from backend.services.container import Services
from backend.settings import Settings
from bench._ws import ticketed
from tests.backend.api_helpers import Listener
from tests.security.world import World, make_user
from tests.servers import LiveServer, running_server
from wire.events import WebRTC


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with tight limits: 2 WS messages/s, 2 requests/s with bursts of 5."""
    settings = Settings(
        db_path=Path(tmp_path_factory.mktemp("strict")) / "onair.sqlite3",
        jwt_secret="strict-secret-" + "x" * 32,
        port=0,
        rate_per_second=2.0,
        rate_burst=5,
        ws_messages_per_second=2.0,
    )
    with running_server(settings) as server:
        yield server


async def test_nobody_joins_rooms_that_are_not_theirs(live: LiveServer, world: World) -> None:
    ids, owner = world.ids, world.actor("owner")
    forbidden = [
        f"user_{owner.id}",
        f"USER_{owner.id}",
        f"user_{owner.id} ",
        f"pk-battle:{ids['pending_battle']}",
        f"multihost:{ids['draft_multihost']}",
        f"live-shopping:{ids['draft_shop']}",
        f"webrtc:battle-{ids['battle']}",
        f"webrtc:multihost-{ids['multihost']}",
        "stream:no-such-streamer",
        "anything-else",
    ]
    for role in ("guest", "viewer"):
        token = world.actor(role).token
        assert token is not None
        async with Listener(live.ws_url, token) as ws:
            for room in forbidden:
                answer = await ws.join(room)
                assert answer["event"] == "error", f"{role} joined {room}"
                assert answer["data"]["code"] == "forbidden_room"
            own = await ws.join(f"user_{world.actor(role).id}")
            assert own["event"] == "joined"
    guest = world.actor("guest").token
    assert guest is not None
    async with Listener(live.ws_url, guest) as ws:
        assert (await ws.join(f"webrtc:call-{uuid.uuid4().hex}"))["event"] == "error"


async def test_signaling_carries_the_senders_identity_only(live: LiveServer) -> None:
    services: Services = live.app.state.services
    (attacker, a_name, a_token), (victim, v_name, v_token), (target, _, t_token) = (
        make_user(services) for _ in range(3)
    )
    room = f"call-{uuid.uuid4().hex[:8]}"
    async with (
        Listener(live.ws_url, a_token) as bad,
        Listener(live.ws_url, v_token) as honest,
        Listener(live.ws_url, t_token) as callee,
    ):
        for ws in (bad, honest, callee):
            await ws.send(WebRTC.JOIN_ROOM, {"roomId": room})
            await ws.wait_for(WebRTC.EXISTING_PEERS)
        # Announcing someone else's stream is refused.
        await bad.send(WebRTC.JOIN_ROOM, {"roomId": f"{room}-2", "streamId": v_name})
        error = await bad.wait_for(WebRTC.ERROR)
        assert error["data"]["code"] == "forbidden"
        spoof = {"roomId": room, "to": target, "from": victim, "username": v_name}
        await bad.send(WebRTC.OFFER, {**spoof, "sdp": "v=0 spoofed offer", "type": "offer"})
        offer = await callee.wait_for(WebRTC.OFFER)
        assert (offer["data"]["from"], offer["data"]["username"]) == (attacker, a_name)
        # Relaying into a call one is not in goes nowhere.
        since, errors = len(callee.events), len(bad.events)
        await bad.send(
            WebRTC.ANSWER, {"roomId": "elsewhere", "to": target, "sdp": "v=0 answer text"}
        )
        assert (await bad.wait_for(WebRTC.ERROR, since=errors))["data"]["code"] == "not_in_room"
        await asyncio.sleep(0.2)
        assert not [e for e in callee.events[since:] if e["event"] == WebRTC.ANSWER]
        assert not honest.named(WebRTC.OFFER)


async def test_a_message_flood_is_cut_off_with_1008(strict: LiveServer) -> None:
    token = make_user(strict.app.state.services)[2]
    async with websockets.connect(await ticketed(strict.ws_url, token)) as ws:
        await ws.recv()  # hello
        limited = 0
        with pytest.raises(ConnectionClosed) as closed:
            for n in range(200):
                await ws.send(json.dumps({"event": "ping", "data": {"t": n}}))
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 10))
                limited += event["event"] == "error" and event["data"]["code"] == "rate_limited"
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_POLICY
    assert limited >= 1


async def test_an_oversized_message_closes_with_1009(live: LiveServer) -> None:
    token = make_user(live.app.state.services)[2]
    limit = live.settings.max_ws_message_bytes
    async with websockets.connect(await ticketed(live.ws_url, token), max_size=None) as ws:
        await ws.recv()
        fits = json.dumps({"event": "ping", "data": {"pad": "x" * (limit - 100)}})
        await ws.send(fits)
        assert json.loads(await ws.recv())["event"] == "pong"
        await ws.send(json.dumps({"event": "ping", "data": {"pad": "x" * limit}}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_TOO_BIG


def test_rest_floods_get_429_with_retry_after(strict: LiveServer) -> None:
    token = make_user(strict.app.state.services)[2]
    with httpx.Client(base_url=strict.url) as http:
        answers = [
            http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
            for _ in range(12)
        ]
        anonymous = [http.post("/api/auth/guest") for _ in range(12)]
    for batch in (answers, anonymous):
        limited = [r for r in batch if r.status_code == 429]
        assert limited, [r.status_code for r in batch]
        assert int(limited[0].headers["Retry-After"]) >= 1
        assert limited[0].json()["error"]["code"] == "rate_limited"


def test_oversized_bodies_are_413(live: LiveServer, world: World) -> None:
    huge = {"title": "x" * (live.settings.max_body_bytes + 1)}
    response = world.call("owner", "POST", "/api/live-shopping", json=huge)
    assert response.status_code == 413
    chunks = (b"a" * 65536 for _ in range(8))  # no Content-Length: counted as it streams
    streamed = world.call(
        "owner",
        "POST",
        "/api/live-shopping",
        content=chunks,
        headers={"Content-Type": "application/json"},
    )
    assert (streamed.status_code, streamed.json()["error"]["code"]) == (413, "payload_too_large")
    sdp = world.call(
        "owner",
        "POST",
        f"/whip/{world.actor('owner').username}",
        content=(b"v=0\r\n" * 20000 for _ in range(4)),
        headers={"Content-Type": "application/sdp"},
    )
    assert sdp.status_code == 413
