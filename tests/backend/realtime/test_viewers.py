"""The viewer count goes out once per stream and interval, and never after shutdown."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from backend.realtime.hub import Hub
from backend.realtime.presence import LocalPresence
from backend.realtime.viewers import ViewerCounter
from wire.events import stream_room

pytestmark = pytest.mark.one_engine  # no database: the counter asks ``owner`` for the streamer


async def test_a_count_waiting_at_shutdown_never_goes_out() -> None:
    asked: list[str] = []

    def owner(stream: str) -> str | None:
        asked.append(stream)  # would read the database, closed right after the counter
        return None

    hub = Hub()
    counter = ViewerCounter(hub, LocalPresence(hub), owner, lambda work: work, interval=0.05)
    connection: Any = None  # the counter looks at the room only
    counter.changed(connection, stream_room("mia"))
    counter.changed(connection, stream_room("mia"))  # gathered with the first
    await asyncio.sleep(0.2)
    assert asked == ["mia"]
    counter.changed(connection, stream_room("mia"))
    await counter.close()
    await asyncio.sleep(0.2)
    assert asked == ["mia"]
