"""The studio's viewer count against a real backend: a snapshot to start from, events after
it, and a fresh snapshot for what happened while the event link was down."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import httpx

from studio.core.api_client import ApiClient
from studio.core.events import EventClient, ServerEvent
from studio.core.viewers import ViewerCount
from tests.backend.api_helpers import Listener
from tests.servers import LiveServer
from wire.events import Stream


async def until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


async def guest_token(server: LiveServer) -> str:
    async with httpx.AsyncClient(base_url=server.url) as client:
        return str((await client.post("/api/auth/guest")).json()["data"]["token"])


async def test_the_count_follows_viewers_and_catches_up_after_a_reconnection(
    server: LiveServer,
) -> None:
    api = ApiClient(server.url)
    streamer = await api.register(f"s{uuid.uuid4().hex[:10]}", "correct horse")
    name = streamer.user.username
    events = EventClient(api.ws_url, streamer.token)
    counts: list[int] = []
    viewers = ViewerCount(api, events, name, counts.append)
    events.start()
    try:
        await events.wait_connected()
        await viewers.refresh()
        assert counts == [0]  # the streamer's own link is not a viewer
        async with Listener(server.ws_url, await guest_token(server)) as page:
            await page.join(f"stream:{name}")
            await until(lambda: counts[-1] == 1)
            await events.stop()  # the studio's link drops; the viewer leaves meanwhile
        await until(lambda: server.app.state.hub.room_size(f"stream:{name}") == 0)
        assert viewers.viewers == 1
        await viewers.refresh()  # what the studio does once the link is back
        assert viewers.viewers == 0
        viewers.close()
        heard: list[ServerEvent] = []
        events.subscribe(heard.append)
        events.start()
        await events.wait_connected()
        async with Listener(server.ws_url, await guest_token(server)) as page:
            await page.join(f"stream:{name}")
            await until(lambda: any(e.name == Stream.VIEWERS for e in heard))
        assert counts[-1] == 0  # the link heard the new count; a closed follower did not
    finally:
        await events.stop()
        await api.aclose()
