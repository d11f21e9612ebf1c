"""Live viewer counts: viewer pages join ``stream:{name}``; its size is the count.

Each count goes to the stream's room and to its owner's ``user_{id}`` room, so the streamer's
studio follows it without joining the room (and counting itself as a viewer).

Joins and leaves are coalesced: at most one ``stream:viewers`` event per stream per
``interval`` seconds, so a crowd arriving at once costs one broadcast, not one per viewer. The
count comes from ``Presence``, so with several workers it is every worker's viewers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from backend.errors import NotFound
from backend.realtime.hub import Connection, Hub
from backend.realtime.presence import Presence
from backend.realtime.tasks import cancel_all
from backend.services.container import Services
from backend.services.streams import resolve_streamer
from backend.storage.db import Serve
from wire.events import Stream, stream_room, user_room
from wire.hub import StreamViewers

STREAM_ROOM_PREFIX = stream_room("")
VIEWERS_EVENT = Stream.VIEWERS


class ViewerCounter:
    def __init__(
        self,
        hub: Hub,
        presence: Presence,
        owner: Callable[[str], str | None],
        serve: Serve,
        interval: float = 0.5,
    ) -> None:
        self.hub = hub
        self.presence = presence
        self.owner = owner  # a stream's streamer's user id (None: nobody to tell)
        self.serve = serve  # runs a broadcast (its owner lookup is a database read)
        self.interval = interval
        self._pending: dict[str, asyncio.TimerHandle] = {}
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
        self._pending[room] = loop.call_later(self.interval, self._flush, room)

    async def close(self) -> None:
        """No count goes out any more (the database closes next)."""
        for timer in self._pending.values():
            timer.cancel()
        self._pending.clear()
        await cancel_all(list(self._broadcasts))

    def _flush(self, room: str) -> None:
        self._pending.pop(room, None)
        stream = room[len(STREAM_ROOM_PREFIX) :]
        task = asyncio.ensure_future(self.serve(self._broadcast(stream)))
        self._broadcasts.add(task)
        task.add_done_callback(self._broadcasts.discard)

    async def _broadcast(self, stream: str) -> None:
        viewers = await self.count(stream)
        owner = self.owner(stream)
        rooms = [stream_room(stream)] + ([user_room(owner)] if owner is not None else [])
        self.hub.publish_many(rooms, VIEWERS_EVENT, StreamViewers(stream=stream, viewers=viewers))


def register_viewer_rooms(hub: Hub, services: Services, presence: Presence) -> ViewerCounter:
    """Anyone with a token (guests too) may join the room of a stream that exists."""

    def owner(stream: str) -> str | None:
        try:
            return str(resolve_streamer(services, stream)["id"])
        except NotFound:
            return None

    hub.authorize_rooms(STREAM_ROOM_PREFIX, lambda user, stream: owner(stream) is not None)
    counter = ViewerCounter(hub, presence, owner, services.db.serve)
    hub.join_listeners.append(counter.changed)
    hub.leave_listeners.append(counter.changed)
    return counter
