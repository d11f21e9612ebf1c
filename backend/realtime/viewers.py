"""Live viewer counts: viewer pages join ``stream:{name}``; its size is the count.

Joins and leaves are coalesced: at most one ``stream:viewers`` event per stream per
``interval`` seconds, so a crowd arriving at once costs one broadcast, not one per viewer. The
count comes from ``Presence``, so with several workers it is every worker's viewers.
"""

from __future__ import annotations

import asyncio

from backend.errors import NotFound
from backend.identity import AuthUser
from backend.realtime.hub import Connection, Hub
from backend.realtime.presence import Presence
from backend.services.container import Services
from backend.services.streams import resolve_streamer
from wire.events import stream_room

STREAM_ROOM_PREFIX = stream_room("")
VIEWERS_EVENT = "stream:viewers"


class ViewerCounter:
    def __init__(self, hub: Hub, presence: Presence, interval: float = 0.5) -> None:
        self.hub = hub
        self.presence = presence
        self.interval = interval
        self._pending: set[str] = set()
        self._broadcasts: set[asyncio.Task[None]] = set()

    async def count(self, stream: str) -> int:
        return await self.presence.count(stream_room(stream))

    def changed(self, conn: Connection, room: str) -> None:
        if not room.startswith(STREAM_ROOM_PREFIX) or room in self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the event loop (a test calling in directly): no broadcast
            return
        self._pending.add(room)
        loop.call_later(self.interval, self._flush, room)

    def _flush(self, room: str) -> None:
        self._pending.discard(room)
        task = asyncio.ensure_future(self._broadcast(room[len(STREAM_ROOM_PREFIX) :]))
        self._broadcasts.add(task)
        task.add_done_callback(self._broadcasts.discard)

    async def _broadcast(self, stream: str) -> None:
        viewers = await self.count(stream)
        self.hub.publish(stream_room(stream), VIEWERS_EVENT, {"stream": stream, "viewers": viewers})


def register_viewer_rooms(hub: Hub, services: Services, presence: Presence) -> ViewerCounter:
    """Anyone with a token (guests too) may join the room of a stream that exists."""

    def may_watch(user: AuthUser, stream: str) -> bool:
        try:
            resolve_streamer(services, stream)
        except NotFound:
            return False
        return True

    hub.authorize_rooms(STREAM_ROOM_PREFIX, may_watch)
    counter = ViewerCounter(hub, presence)
    hub.join_listeners.append(counter.changed)
    hub.leave_listeners.append(counter.changed)
    return counter
