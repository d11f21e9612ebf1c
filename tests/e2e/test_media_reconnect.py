"""The backend goes away mid-stream and comes back: the publisher is live again by itself."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from backend.settings import Settings
from studio.core.publisher import PublisherState
from tests.backend.api_helpers import register
from tests.helpers_media import live_broadcast, loopback_ice, played_markers  # noqa: F401
from tests.servers import free_port, running_server

pytestmark = pytest.mark.usefixtures("loopback_ice")


async def start_backend(settings: Settings, stack: contextlib.ExitStack) -> str:
    live = await asyncio.to_thread(stack.enter_context, running_server(settings))
    return live.url


async def test_publisher_is_live_again_within_5_s_after_the_backend_returns(
    settings: Settings,
) -> None:
    settings = settings.with_overrides(port=free_port())
    first = contextlib.ExitStack()
    url = await start_backend(settings, first)
    async with httpx.AsyncClient(base_url=url) as client:
        alice = await register(client)
    states: list[PublisherState] = []
    second = contextlib.ExitStack()
    try:
        async with live_broadcast(url, alice.username, alice.token) as broadcast:
            broadcast.status_changed.add(lambda s: states.append(s.state))
            publisher = broadcast.publisher
            assert publisher is not None
            await asyncio.to_thread(first.close)  # the backend stops mid-stream
            await asyncio.wait_for(_left_live(publisher), 10)
            await asyncio.sleep(1.0)  # down for a while: the publisher keeps retrying
            await start_backend(settings, second)
            await asyncio.wait_for(publisher.wait_live(), 5.0)
            assert publisher.reconnects >= 1
            await played_markers(f"{url}/whep/{alice.username}", alice.token, 10)
    finally:
        await asyncio.to_thread(second.close)
    assert PublisherState.RECONNECTING in states
    assert states[-1] is PublisherState.STOPPED


async def _left_live(publisher: object) -> None:
    while publisher.state is PublisherState.LIVE:  # type: ignore[attr-defined]
        await asyncio.sleep(0.05)
