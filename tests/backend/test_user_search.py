"""Finding someone to battle or invite: live streamers first, and each result's live state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.backend.api_helpers import Listener, register
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


@pytest.mark.usefixtures("loopback_ice")
async def test_live_streamers_come_first_then_who_is_online_then_the_rest(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    tag = uuid.uuid4().hex[:6]
    searcher = await register(client, name=f"{tag}_me")
    # More offline matches than a page holds, sorting before the live streamer's name; one
    # sorts before the one who is online too.
    first_offline = await register(client, name=f"{tag}_a_offline")
    online = await register(client, name=f"{tag}_online")
    offline = await asyncio.gather(*(register(client, name=f"{tag}a{i:02}") for i in range(21)))
    streamer = await register(client, name=f"{tag}z_live")
    async with (
        Listener(server.ws_url, online.token),
        live_publisher(server.url, streamer.username, streamer.token, size=(256, 144)),
    ):
        found = await searcher.data("GET", "/api/auth/users", params={"q": tag})
        battle = await streamer.data(
            "POST", "/api/pk-battles", json={"opponent": online.id, "duration": 2}
        )
        await online.data("POST", f"/api/pk-battles/{battle['id']}/accept")
        detail = await searcher.data("GET", f"/api/pk-battles/{battle['id']}")

    assert len(found) == 20  # a page: the live streamer was not cut off by the limit
    states = [(u["username"], u["live"], u["online"]) for u in found[:3]]
    assert states == [
        (streamer.username, True, False),
        (online.username, False, True),
        (first_offline.username, False, False),
    ]
    assert [u["username"] for u in found[3:]] == [u.username for u in offline[:17]]
    assert searcher.id not in {u["id"] for u in found}
    assert (detail["host1"]["live"], detail["host2"]["live"]) == (True, False)

    # Once the stream stops, nobody is live.
    after = await searcher.data("GET", "/api/auth/users", params={"q": f"{tag}z"})
    assert [(u["username"], u["live"]) for u in after] == [(streamer.username, False)]
