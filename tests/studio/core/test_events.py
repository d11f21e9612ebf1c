"""The reconnecting event client against a real backend, including a backend restart."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable

import pytest

from backend.settings import Settings
from studio.core.api_client import ApiClient, ApiError
from studio.core.events import EventClient, LinkState, ServerEvent
from tests.servers import LiveServer, free_port, running_server
from wire.events import PK, WebRTC, battle_room
from wire.webrtc import JoinRoom, RoomOnly


class Recorder:
    """Collects a client's events and link states; waits for one that matches."""

    def __init__(self, client: EventClient) -> None:
        self.events: list[ServerEvent] = []
        self.states: list[LinkState] = []
        self._changed = asyncio.Event()
        client.subscribe(self._event)
        client.on_state(self._state)

    def _event(self, event: ServerEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def _state(self, state: LinkState) -> None:
        self.states.append(state)
        self._changed.set()

    async def until(self, check: Callable[[], bool], timeout: float = 15.0) -> None:
        async def poll() -> None:
            while not check():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(poll(), timeout)

    def named(self, name: str) -> list[dict]:
        return [e.data for e in self.events if e.name == name]


async def _user(url: str) -> ApiClient:
    api = ApiClient(url)
    await api.register(f"u{uuid.uuid4().hex[:10]}", "correct horse")
    return api


async def test_user_room_events_and_battle_room_join(server: LiveServer) -> None:
    host1, host2 = await _user(server.url), await _user(server.url)
    assert host2.token
    client = EventClient(host2.ws_url, host2.token)
    seen = Recorder(client)
    client.start()
    try:
        await client.wait_connected()
        battle = await host1.create_battle((await host2.me()).id, 1)
        await seen.until(lambda: bool(seen.named(PK.CREATED)))
        assert seen.named(PK.CREATED)[0]["battle"]["id"] == battle.id

        await client.join(battle_room(battle.id))
        assert battle_room(battle.id) in client.rooms
        with pytest.raises(ApiError) as refused:
            await client.join(battle_room("no-such-battle"))
        assert refused.value.code == "forbidden_room"
        assert battle_room("no-such-battle") not in client.rooms
    finally:
        await client.stop()
        await host1.aclose()
        await host2.aclose()
    assert seen.states[0] is LinkState.CONNECTING and seen.states[-1] is LinkState.STOPPED


async def test_client_events_reach_the_server(server: LiveServer) -> None:
    api = await _user(server.url)
    assert api.token
    client = EventClient(api.ws_url, api.token)
    seen = Recorder(client)
    joining = JoinRoom(room_id="studio-room")
    await client.send(WebRTC.JOIN_ROOM, joining)  # not connected: dropped
    client.start()
    try:
        await client.wait_connected()
        with pytest.raises(TypeError, match="JoinRoom"):  # only the declared model goes out
            await client.send(WebRTC.JOIN_ROOM, RoomOnly(room_id="studio-room"))
        await client.send(WebRTC.JOIN_ROOM, joining)
        await seen.until(lambda: bool(seen.named(WebRTC.EXISTING_PEERS)))
        assert seen.named(WebRTC.EXISTING_PEERS) == [
            {"roomId": "studio-room", "peers": [], "topology": "mesh", "iceServers": []}
        ]
    finally:
        await client.stop()
        await api.aclose()


async def test_reconnects_and_rejoins_rooms_after_a_backend_restart(settings: Settings) -> None:
    settings = settings.with_overrides(port=free_port())
    stack = contextlib.ExitStack()
    live = await asyncio.to_thread(stack.enter_context, running_server(settings))
    host1, host2, fan = (await _user(live.url), await _user(live.url), await _user(live.url))
    await fan.topup(100)
    h2 = await host2.me()
    battle = await host1.create_battle(h2.id, 1)
    await host2.accept_battle(battle.id)
    assert fan.token
    client = EventClient(fan.ws_url, fan.token, min_backoff=0.05, max_backoff=0.3)
    seen = Recorder(client)
    client.start()
    try:
        await client.wait_connected()
        await client.join(battle_room(battle.id))

        await asyncio.to_thread(stack.close)
        await seen.until(lambda: LinkState.RECONNECTING in seen.states)

        live = await asyncio.to_thread(stack.enter_context, running_server(settings))
        room = battle_room(battle.id)

        def rejoined() -> bool:
            joins = [e for e in seen.named("joined") if e["room"] == room]
            return client.connections == 2 and len(joins) == 2

        await seen.until(rejoined)
        await fan.send_gift(battle.id, "heart", h2.id)
        await seen.until(lambda: bool(seen.named(PK.GIFT)))
        assert seen.named(PK.GIFT)[0]["scores"]["host2"] == 5
        assert seen.states[-1] is LinkState.CONNECTED
    finally:
        await client.stop()
        for api in (host1, host2, fan):
            await api.aclose()
        await asyncio.to_thread(stack.close)


async def test_a_refused_token_stops_retrying(server: LiveServer) -> None:
    client = EventClient(server.ws_url, "not-a-token", min_backoff=0.05)
    seen = Recorder(client)
    client.start()
    try:
        await seen.until(lambda: LinkState.UNAUTHORIZED in seen.states)
        await asyncio.sleep(0.2)
        assert seen.states[-1] is LinkState.UNAUTHORIZED
        assert client.connections == 0
    finally:
        await client.stop()
