"""/ws is opened with a single-use ticket, never with a login token in the URL (issue 21,
finding 1); a binary frame closes the socket with 1003 and is counted (finding 2)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from backend.api.metrics import realtime_stats
from backend.realtime.hub import CLOSE_UNSUPPORTED
from backend.services.container import Services
from backend.services.ws_tickets import TICKET_TTL_S
from bench._ws import ticketed, ws_ticket
from tests.security.world import make_user
from tests.servers import LiveServer


async def refused(url: str) -> int:
    with pytest.raises(InvalidStatus) as closed:
        async with websockets.connect(url):
            pass
    return closed.value.response.status_code


async def test_a_ticket_opens_one_connection_as_its_user(live: LiveServer) -> None:
    user_id, _, token = make_user(live.app.state.services)
    async with httpx.AsyncClient(base_url=live.url) as http:
        answer = await http.post("/api/ws-ticket", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["expiresIn"] == TICKET_TTL_S and token not in data["ticket"]
    url = f"{live.ws_url}?ticket={data['ticket']}"
    async with websockets.connect(url) as ws:
        hello = json.loads(await ws.recv())
        assert hello["event"] == "hello" and hello["data"]["user"]["id"] == user_id
    assert await refused(url) == 403  # used once: gone


async def test_a_login_token_in_the_url_is_refused(live: LiveServer) -> None:
    _, _, token = make_user(live.app.state.services)
    assert await refused(f"{live.ws_url}?token={token}") == 403
    assert await refused(live.ws_url) == 403
    assert await refused(f"{live.ws_url}?ticket={token}") == 403


async def test_an_expired_ticket_or_a_deleted_account_is_refused(live: LiveServer) -> None:
    services: Services = live.app.state.services
    user_id, _, token = make_user(services)
    stale = await ws_ticket(live.ws_url, token)
    services.db.execute("UPDATE ws_tickets SET expiresAt = expiresAt - ?", (TICKET_TTL_S + 1,))
    assert await refused(f"{live.ws_url}?ticket={stale}") == 403
    fresh = await ticketed(live.ws_url, token)
    services.auth.delete_user(user_id)
    assert await refused(fresh) == 403


async def test_guests_get_tickets_too(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url) as http:
        guest = (await http.post("/api/auth/guest")).json()["data"]
    async with websockets.connect(await ticketed(live.ws_url, guest["token"])) as ws:
        hello = json.loads(await ws.recv())
    assert hello["data"]["user"] == {"id": guest["user"]["id"], "role": "guest"}


async def test_a_binary_frame_closes_with_1003_and_is_counted(live: LiveServer) -> None:
    hub = live.app.state.hub
    before = realtime_stats(hub).binary_frames_refused
    _, _, token = make_user(live.app.state.services)
    async with websockets.connect(await ticketed(live.ws_url, token)) as ws:
        await ws.recv()  # hello
        await ws.send(b"\x00\x01 not json text")
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_UNSUPPORTED == 1003
    assert realtime_stats(hub).binary_frames_refused == before + 1
