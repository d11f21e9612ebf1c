"""The chat's batching: events published to a room in one turn reach each member in one write,
as separate WebSocket messages, in order."""

from __future__ import annotations

import asyncio
import json

from backend.identity import AuthUser
from backend.realtime.chat import ChatFanout
from backend.realtime.hub import Hub, Outgoing
from wire.chat import ChatDeleted
from wire.events import Chat, chat_mod_room, chat_rooms, stream_room


class RecordingSocket:
    """A member's socket that keeps up: it records each write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    async def send_text(self, text: str) -> None:
        self.writes.append(Outgoing(text).frame)

    def write_now(self, message: Outgoing) -> bool:
        self.writes.append(message.frame)
        return True

    async def close(self, code: int) -> None:
        pass


def texts_of(frames: bytes) -> list[str]:
    """Unframe unmasked text frames (what a browser would read as separate messages)."""
    found = []
    while frames:
        size, start = frames[1] & 0x7F, 2
        if size == 126:
            size, start = int.from_bytes(frames[2:4]), 4
        elif size == 127:
            size, start = int.from_bytes(frames[2:10]), 10
        found.append(frames[start : start + size].decode())
        frames = frames[start + size :]
    return found


async def test_one_write_per_member_per_turn_in_order() -> None:
    hub = Hub()
    sockets = [RecordingSocket() for _ in range(3)]
    room = stream_room("alice")
    hub.authorize_rooms(stream_room(""), lambda user, stream: True)
    for number, socket in enumerate(sockets):
        conn = hub.attach(AuthUser(f"u{number}", f"u{number}"), socket)
        assert await hub.join(conn, room)
    fanout = ChatFanout(hub, window=0.0)
    for index in range(5):
        fanout.publish(room, Chat.DELETED, ChatDeleted(stream="alice", message_id=str(index)))
    assert all(socket.writes == [] for socket in sockets)  # nothing until the turn ends
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    for socket in sockets:
        assert len(socket.writes) == 1
        events = [json.loads(text) for text in texts_of(socket.writes[0])]
        assert [e["data"]["messageId"] for e in events] == ["0", "1", "2", "3", "4"]
    # An event for more rooms first sends what waits for this one, so order holds.
    fanout.publish(room, Chat.DELETED, ChatDeleted(stream="alice", message_id="5"))
    more_rooms = [room, chat_mod_room("alice")]
    fanout.publish_many(more_rooms, Chat.DELETED, ChatDeleted(stream="alice", message_id="6"))
    assert len(sockets[0].writes) == 2  # "5" left at once
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    later = [json.loads(t)["data"]["messageId"] for w in sockets[0].writes[1:] for t in texts_of(w)]
    assert later == ["5", "6"]


async def test_events_for_several_rooms_are_batched_too_and_keep_order() -> None:
    """A chat line goes to the stream's room and its moderators' room: such lines gather into
    one write as well (they had gone out one pass over the room each), and an event for only
    one of those rooms sends what waits first."""
    hub = Hub()
    viewer_socket, studio_socket = RecordingSocket(), RecordingSocket()
    hub.authorize_rooms("", lambda user, stream: True)
    viewer = hub.attach(AuthUser("v", "v"), viewer_socket)
    studio = hub.attach(AuthUser("s", "s"), studio_socket)
    assert await hub.join(viewer, stream_room("alice"))
    assert await hub.join(studio, chat_mod_room("alice"))
    fanout = ChatFanout(hub, window=0.0)

    def deleted(number: int) -> ChatDeleted:
        return ChatDeleted(stream="alice", message_id=str(number))

    for index in range(3):
        fanout.publish_many(chat_rooms("alice"), Chat.DELETED, deleted(index))
    fanout.publish(chat_mod_room("alice"), Chat.DELETED, deleted(3))
    fanout.publish_many(chat_rooms("alice"), Chat.DELETED, deleted(4))
    await asyncio.sleep(0)
    await asyncio.sleep(0)

    def ids(socket: RecordingSocket) -> list[list[str]]:
        return [[json.loads(t)["data"]["messageId"] for t in texts_of(w)] for w in socket.writes]

    assert ids(viewer_socket) == [["0", "1", "2"], ["4"]]
    assert ids(studio_socket) == [["0", "1", "2"], ["3"], ["4"]]
