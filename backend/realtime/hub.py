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
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from backend.events import Payload
from backend.identity import AuthUser
from wire.base import WireModel
from wire.events import Hub as HubEvents
from wire.hub import HubError, Pong, RoomJoined, RoomLeft
from wire.payloads import payload_model

log = logging.getLogger(__name__)

RoomAuthorizer = Callable[[AuthUser, str], bool | Awaitable[bool]]
EventHandler = Callable[["Connection", dict[str, Any]], Awaitable[None]]
CLOSE_TOO_SLOW = 4008
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_UNSUPPORTED = 1003  # a binary frame: the protocol is JSON text only
ROOM_SEPARATOR = "\n"  # rooms never contain newlines (names are validated)
BATCH_SEPARATOR = "\n"  # compact JSON never contains a raw newline
BAD_MESSAGE = 'Send {"event": str, "data": {}}.'


@dataclass(eq=False)
class Outgoing:
    """One serialised message, shared by every recipient; or several sent together (their JSON
    texts joined by BATCH_SEPARATOR), which reach each socket in one write."""

    text: str

    @cached_property
    def texts(self) -> list[str]:
        return self.text.split(BATCH_SEPARATOR)

    @cached_property
    def frame(self) -> bytes:
        """The message(s) as unmasked, uncompressed WebSocket text frames (RFC 6455 5.2)."""
        return b"".join(_text_frame(text) for text in self.texts)


def _text_frame(text: str) -> bytes:
    payload = text.encode()
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


def encode(event: str, data: Payload) -> str:
    check_payload(event, data)  # serialised by its model in one call (3x json.dumps' speed)
    return f'{{"event":{json.dumps(event)},"data":{data.model_dump_json()}}}'


def _batch_text(events: Sequence[tuple[str, Payload]]) -> str:
    return BATCH_SEPARATOR.join(encode(event, data) for event, data in events)


def check_payload(event: str, data: WireModel) -> None:
    """Refuse to send a payload that is not the model the contract declares for ``event``."""
    expected = payload_model(event)
    if type(data) is not expected:
        raise TypeError(f"'{event}' carries {expected.__name__}, not {type(data).__name__}")


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

    def send(self, event: str, data: Payload) -> bool:
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
                for text in message.texts:
                    await self.transport.send_text(text)
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
        # Called with every event this process publishes (after it is sent), e.g. to write a
        # chat line about a gift; a listener must not raise.
        self.publish_listeners: list[Callable[[tuple[str, ...], str, Payload], None]] = []
        self.broker: Broker | None = None
        self.dropped_slow = 0
        self.binary_frames_refused = 0

    # ---- registration -------------------------------------------------------------
    def authorize_rooms(self, prefix: str, authorizer: RoomAuthorizer) -> None:
        self.authorizers[prefix] = authorizer

    def on_event(self, event: str, handler: EventHandler) -> None:
        self.handlers[event] = handler

    # ---- publishing ---------------------------------------------------------------
    def publish(self, room: str, event: str, data: Payload) -> None:
        self.publish_many((room,), event, data)

    def publish_many(self, rooms: Iterable[str], event: str, data: Payload) -> None:
        self.publish_batch(rooms, ((event, data),))

    def publish_batch(self, rooms: Iterable[str], events: Sequence[tuple[str, Payload]]) -> None:
        """Publish several events, in order, to everyone in any of ``rooms``: each member gets
        them in one write (a busy chat costs one pass over the room per batch, not per line)."""
        if not events:
            return
        room_list = tuple(rooms)
        if self.broker is not None:
            self.broker.publish(ROOM_SEPARATOR.join(room_list), _batch_text(events))
        elif any(self.rooms.get(room) for room in room_list):
            self.deliver(room_list, _batch_text(events))
        else:  # nobody to send it to: not serialised, still held to the contract
            for event, data in events:
                check_payload(event, data)
        for event, data in events:
            for listener in self.publish_listeners:
                listener(room_list, event, data)

    def deliver(self, rooms: Iterable[str], text: str) -> None:
        """Hand a serialised message (or batch) to this process's members of any of ``rooms``,
        once each."""
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
            conn.send(HubEvents.ERROR, HubError(code="bad_message", message=BAD_MESSAGE))
            return
        if event == HubEvents.PING:
            conn.send(HubEvents.PONG, Pong(t=_number(data.get("t")), server_time=time.time()))
        elif event in (HubEvents.JOIN, HubEvents.LEAVE):
            await self._membership(conn, event, data)
        elif event in self.handlers:
            await self.handlers[event](conn, data)
        else:
            refusal = HubError(code="unknown_event", message=f"Unknown event '{event}'.")
            conn.send(HubEvents.ERROR, refusal)

    async def _membership(self, conn: Connection, event: str, data: dict[str, Any]) -> None:
        room = data.get("room")
        if not isinstance(room, str) or not room or len(room) > 200 or ROOM_SEPARATOR in room:
            conn.send(HubEvents.ERROR, HubError(code="bad_room", message="Give a room name."))
            return
        if event == HubEvents.LEAVE:
            self.leave(conn, room)
            conn.send(HubEvents.LEFT, RoomLeft(room=room))
        elif await self.join(conn, room):
            conn.send(HubEvents.JOINED, RoomJoined(room=room, members=self.room_size(room)))
        else:
            message = f"You may not join '{room}'."
            conn.send(HubEvents.ERROR, HubError(code="forbidden_room", message=message, room=room))


def _number(value: Any) -> float | None:
    """A ping's ``t`` echoed back only when it is a number (anything else is not ours to echo)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
