"""Payloads of the ``/ws`` protocol's own messages and of the stream rooms."""

from __future__ import annotations

from wire.base import WireModel
from wire.events import Hub, Stream


class HelloUser(WireModel):
    id: str
    role: str


class Hello(WireModel):
    """The first message on a new connection: who the server thinks you are."""

    user: HelloUser
    connection: str


class WsTicket(WireModel):
    """A ticket to open ``/ws?ticket=...`` once, within ``expires_in`` seconds (the login
    token itself never goes in a URL)."""

    ticket: str
    expires_in: int


class HubError(WireModel):
    code: str
    message: str
    room: str | None = None  # set when a join was refused


class Pong(WireModel):
    t: float | None = None  # echoed from the ping
    server_time: float


class RoomJoined(WireModel):
    room: str
    members: int


class RoomLeft(WireModel):
    room: str


class StreamViewers(WireModel):
    """How many viewers watch ``stream`` now (coalesced: at most one per interval)."""

    stream: str
    viewers: int


EVENTS: dict[str, type[WireModel]] = {
    Hub.HELLO: Hello,
    Hub.ERROR: HubError,
    Hub.PONG: Pong,
    Hub.JOINED: RoomJoined,
    Hub.LEFT: RoomLeft,
    Stream.VIEWERS: StreamViewers,
}
