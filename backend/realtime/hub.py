"""The real-time hub: connections, rooms, bounded per-connection queues, one broadcast path.

A message is serialised once per publish, and its WebSocket frame is built once too. A member
whose socket keeps up gets the frame written straight away (no task switch, no per-viewer
framing); one that is behind gets it on its queue; a connection whose queue is full is too
slow and is closed, so it never stalls the others.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import struct
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from backend.identity import AuthUser
from wire.events import Hub as HubEvents

log = logging.getLogger(__name__)

RoomAuthorizer = Callable[[AuthUser, str], bool | Awaitable[bool]]
EventHandler = Callable[["Connection", dict[str, Any]], Awaitable[None]]
CLOSE_TOO_SLOW = 4008
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
ROOM_SEPARATOR = "\n"  # rooms never contain newlines (names are validated)


@dataclass(eq=False)
class Outgoing:
    """One serialised message, shared by every recipient."""

    text: str

    @cached_property
    def frame(self) -> bytes:
        """The message as an unmasked, uncompressed WebSocket text frame (RFC 6455 5.2)."""
        payload = self.text.encode()
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x81, size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", 0x81, 126, size)
        else:
            header = struct.pack("!BBQ", 0x81, 127, size)
        return header + payload


class Transport(Protocol):
    async def send_text(self, text: str) -> None: ...

    def write_now(self, message: Outgoing) -> bool:
        """Write ``message`` without waiting if the socket keeps up; False means queue it."""

    async def close(self, code: int) -> None: ...


class Broker(Protocol):
    """Carries a serialised room message to every process; the local broker is in-process."""

    def publish(self, rooms: str, text: str) -> None:
        """``rooms`` is one or more room names joined by ROOM_SEPARATOR."""


def encode(event: str, data: dict[str, Any]) -> str:
    return json.dumps({"event": event, "data": data}, separators=(",", ":"))


@dataclass(eq=False)
class Connection:
    user: AuthUser
    transport: Transport
    queue_size: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    rooms: set[str] = field(default_factory=set)
    closed: bool = False
    close_code: int | None = None
    _queue: asyncio.Queue[Outgoing | None] = field(init=False)
    _sending: bool = False
    _tokens: float = field(default=0.0)
    _stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue(maxsize=self.queue_size)

    def offer(self, message: Outgoing) -> bool:
        """Send or queue a message without waiting; False means the client is too slow."""
        if self.closed:
            return False
        if not self._sending and self._queue.empty() and self.transport.write_now(message):
            return True
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    def send(self, event: str, data: dict[str, Any]) -> bool:
        return self.offer(Outgoing(encode(event, data)))

    def allow_message(self, rate: float, burst: float) -> bool:
        now = time.monotonic()
        self._tokens = min(burst, self._tokens + (now - self._stamp) * rate)
        self._stamp = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def start_bucket(self, burst: float) -> None:
        self._tokens = burst

    async def pump(self) -> None:
        """Write queued messages to the transport until closed."""
        while True:
            message = await self._queue.get()
            if message is None:
                return
            self._sending = True
            try:
                await self.transport.send_text(message.text)
            finally:
                self._sending = False

    def stop(self, code: int) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        while True:
            try:
                self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
        self._queue.put_nowait(None)


class Hub:
    def __init__(self, queue_size: int = 256) -> None:
        self.queue_size = queue_size
        self.rooms: dict[str, set[Connection]] = {}
        self.connections: set[Connection] = set()
        self.authorizers: dict[str, RoomAuthorizer] = {}
        self.handlers: dict[str, EventHandler] = {}
        self.join_listeners: list[Callable[[Connection, str], None]] = []
        self.leave_listeners: list[Callable[[Connection, str], None]] = []
        self.broker: Broker | None = None
        self.dropped_slow = 0

    # ---- registration -------------------------------------------------------------
    def authorize_rooms(self, prefix: str, authorizer: RoomAuthorizer) -> None:
        self.authorizers[prefix] = authorizer

    def on_event(self, event: str, handler: EventHandler) -> None:
        self.handlers[event] = handler

    # ---- publishing ---------------------------------------------------------------
    def publish(self, room: str, event: str, data: dict[str, Any]) -> None:
        self.publish_many((room,), event, data)

    def publish_many(self, rooms: Iterable[str], event: str, data: dict[str, Any]) -> None:
        text = encode(event, data)
        room_list = tuple(rooms)
        if self.broker is not None:
            self.broker.publish(ROOM_SEPARATOR.join(room_list), text)
        else:
            self.deliver(room_list, text)

    def deliver(self, rooms: Iterable[str], text: str) -> None:
        """Hand a serialised message to this process's members of any of ``rooms``, once each."""
        targets: set[Connection] = set()
        for room in rooms:
            targets.update(self.rooms.get(room, ()))
        message = Outgoing(text)
        for conn in targets:
            if not conn.offer(message):
                self.drop(conn, CLOSE_TOO_SLOW)

    def room_size(self, room: str) -> int:
        return len(self.rooms.get(room, ()))

    def members(self, room: str) -> list[Connection]:
        return list(self.rooms.get(room, ()))

    # ---- membership ---------------------------------------------------------------
    def attach(self, user: AuthUser, transport: Transport) -> Connection:
        conn = Connection(user=user, transport=transport, queue_size=self.queue_size)
        self.connections.add(conn)
        self._add(conn, f"user_{user.id}")
        return conn

    def detach(self, conn: Connection) -> None:
        for room in tuple(conn.rooms):
            self._remove(conn, room)
        self.connections.discard(conn)
        conn.stop(conn.close_code or 1000)

    def drop(self, conn: Connection, code: int) -> None:
        if conn.closed:
            return
        if code == CLOSE_TOO_SLOW:
            self.dropped_slow += 1
            log.info("dropping slow client %s (%s)", conn.id, conn.user.id)
        conn.stop(code)
        for room in tuple(conn.rooms):
            self._remove(conn, room)

    async def join(self, conn: Connection, room: str) -> bool:
        if room in conn.rooms:
            return True
        if not await self.may_join(conn.user, room):
            return False
        self._add(conn, room)
        return True

    def leave(self, conn: Connection, room: str) -> None:
        if room in conn.rooms:
            self._remove(conn, room)

    async def may_join(self, user: AuthUser, room: str) -> bool:
        if room.startswith("user_"):
            return room == f"user_{user.id}"
        for prefix, authorizer in self.authorizers.items():
            if room.startswith(prefix):
                verdict = authorizer(user, room[len(prefix) :])
                if inspect.isawaitable(verdict):
                    verdict = await verdict
                return bool(verdict)
        return False

    def _add(self, conn: Connection, room: str) -> None:
        self.rooms.setdefault(room, set()).add(conn)
        conn.rooms.add(room)
        for listener in self.join_listeners:
            listener(conn, room)

    def _remove(self, conn: Connection, room: str) -> None:
        members = self.rooms.get(room)
        if members is not None:
            members.discard(conn)
            if not members:
                del self.rooms[room]
        conn.rooms.discard(room)
        for listener in self.leave_listeners:
            listener(conn, room)

    # ---- incoming messages --------------------------------------------------------
    async def handle(self, conn: Connection, message: dict[str, Any]) -> None:
        event = message.get("event")
        data = message.get("data") or {}
        if not isinstance(event, str) or not isinstance(data, dict):
            conn.send(HubEvents.ERROR, _error("bad_message", 'Send {"event": str, "data": {}}.'))
            return
        if event == HubEvents.PING:
            conn.send(HubEvents.PONG, {"t": data.get("t"), "serverTime": time.time()})
        elif event in (HubEvents.JOIN, HubEvents.LEAVE):
            await self._membership(conn, event, data)
        elif event in self.handlers:
            await self.handlers[event](conn, data)
        else:
            conn.send(HubEvents.ERROR, _error("unknown_event", f"Unknown event '{event}'."))

    async def _membership(self, conn: Connection, event: str, data: dict[str, Any]) -> None:
        room = data.get("room")
        if not isinstance(room, str) or not room or len(room) > 200 or ROOM_SEPARATOR in room:
            conn.send(HubEvents.ERROR, _error("bad_room", "Give a room name."))
            return
        if event == HubEvents.LEAVE:
            self.leave(conn, room)
            conn.send(HubEvents.LEFT, {"room": room})
        elif await self.join(conn, room):
            conn.send(HubEvents.JOINED, {"room": room, "members": self.room_size(room)})
        else:
            conn.send(
                HubEvents.ERROR,
                _error("forbidden_room", f"You may not join '{room}'.") | {"room": room},
            )


def _error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}
