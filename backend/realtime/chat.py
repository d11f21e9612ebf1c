"""The chat's part of the hub: who joins a stream's moderation room, system lines from other
services' events, and one "joined" line per stream per interval (not one per viewer)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from backend.errors import NotFound
from backend.events import Payload
from backend.identity import AuthUser
from backend.realtime.hub import Connection, Hub
from backend.services.chat import ChatRoom
from backend.services.chat.presenters import user_cards
from backend.services.chat.roles import role_of
from backend.services.container import Services
from backend.services.streams import canonical_name, resolve_streamer
from wire.events import chat_mod_room, stream_room

STREAM_PREFIX = stream_room("")
SHOWN_NAMES = 3  # names in a "joined" line; the rest are counted
# Chat lines to a room within this many seconds leave together. Measured with 1,000 viewers
# and 250 messages/s: 25 ms took p99 delivery from ~1.3-2 s (one event-loop turn) to ~0.2-0.3 s.
BATCH_WINDOW = 0.025


def _room(services: Services, stream: str) -> ChatRoom | None:
    try:
        streamer = resolve_streamer(services, stream)
    except NotFound:
        return None
    return ChatRoom(canonical_name(stream, streamer["username"]), streamer["id"])


class JoinLines:
    """Collects arrivals per stream and writes one line about them every ``interval`` s."""

    def __init__(self, services: Services, interval: float) -> None:
        self.services = services
        self.interval = interval
        self._arrived: dict[str, list[AuthUser]] = {}

    def changed(self, conn: Connection, room: str) -> None:
        """A hub join listener."""
        if not room.startswith(STREAM_PREFIX):
            return
        stream = room[len(STREAM_PREFIX) :]
        waiting = self._arrived.get(stream)
        if waiting is None:
            try:
                self.services.db.call_later(self.interval, self.flush, stream)
            except RuntimeError:  # not on the event loop (a test calling in directly)
                return
            waiting = self._arrived[stream] = []
        waiting.append(conn.user)

    def flush(self, stream: str) -> None:
        arrived = self._arrived.pop(stream, [])
        chat = _room(self.services, stream)
        if chat is None:
            return
        accounts = list(
            dict.fromkeys(u.id for u in arrived if not u.is_guest and u.id != chat.owner_id)
        )
        guests = len({u.id for u in arrived if u.is_guest})
        cards = user_cards(self.services.db, set(accounts[:SHOWN_NAMES]))
        names = [cards[i].display_name for i in accounts[:SHOWN_NAMES] if i in cards]
        others = guests + len(accounts) - len(names)
        self.services.chat.system.joined(chat.stream, names, others)


class ChatFanout:
    """The chat's events, one write per viewer per batch: what is published to the same rooms
    within ``window`` seconds (0: within one turn of the event loop, e.g. the messages a group
    commit wrote) leaves together, in order. A busy room costs a pass over its members per batch
    instead of per message. Events bound for other rooms that share a room with these first
    send what waits for those, so a member of both still gets everything in publish order."""

    def __init__(self, hub: Hub, window: float) -> None:
        self.hub = hub
        self.window = window
        self._pending: dict[tuple[str, ...], list[tuple[str, Payload]]] = {}

    def publish(self, room: str, event: str, data: Payload) -> None:
        self.publish_many((room,), event, data)

    def publish_many(self, rooms: Iterable[str], event: str, data: Payload) -> None:
        targets = tuple(rooms)
        for waiting_for in [key for key in self._pending if key != targets]:
            if not set(waiting_for).isdisjoint(targets):
                self.flush(waiting_for)  # what was published before goes first
        waiting = self._pending.get(targets)
        if waiting is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not on the event loop: nothing to batch with
                self.hub.publish_many(targets, event, data)
                return
            waiting = self._pending[targets] = []
            loop.call_later(self.window, self.flush, targets)
        waiting.append((event, data))

    def flush(self, rooms: tuple[str, ...]) -> None:
        self.hub.publish_batch(rooms, self._pending.pop(rooms, ()))


def register_chat(hub: Hub, services: Services, window: float = BATCH_WINDOW) -> JoinLines:
    def may_moderate(user: AuthUser, stream: str) -> bool:
        chat = _room(services, stream)
        return chat is not None and role_of(services.db, chat, user) in ("host", "moderator")

    hub.authorize_rooms(chat_mod_room(""), may_moderate)
    services.chat.route_events(ChatFanout(hub, window))
    hub.publish_listeners.append(services.chat.system.observe)
    lines = JoinLines(services, services.chat.messages.limits.join_line_interval_seconds)
    hub.join_listeners.append(lines.changed)
    return lines
