"""Who someone is in a stream's chat, and what stands in the way of their writing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.errors import Forbidden
from backend.identity import AuthUser
from backend.storage.db import Database, Row, now_iso, parse_iso
from wire.chat import ChatRole


@dataclass(frozen=True)
class ChatRoom:
    """A stream's chat: the stream's canonical name and its owner (the host)."""

    stream: str
    owner_id: str


def is_moderator(db: Database, room: ChatRoom, user_id: str) -> bool:
    return (
        db.scalar(
            "SELECT 1 FROM chat_moderators WHERE stream = ? AND userId = ?",
            (room.stream, user_id),
        )
        is not None
    )


def role_of(db: Database, room: ChatRoom, user: AuthUser) -> ChatRole:
    if user.is_guest:
        return "guest"
    if user.id == room.owner_id:
        return "host"
    return "moderator" if is_moderator(db, room, user.id) else "viewer"


def require_moderator(db: Database, room: ChatRoom, user: AuthUser) -> ChatRole:
    """The host or one of this stream's moderators; anyone else is refused."""
    role = role_of(db, room, user)
    if role not in ("host", "moderator"):
        raise Forbidden(
            "Only the streamer and this stream's moderators can do this.", code="not_moderator"
        )
    return role


def require_host(room: ChatRoom, user: AuthUser) -> None:
    if user.id != room.owner_id:
        raise Forbidden("Only the streamer can do this.", code="not_host")


# Everything that decides whether someone may write now, read in one statement: a chat line
# costs one round trip for its checks (SQLite or PostgreSQL), and nothing is cached, so a
# ban, time out or follow made by any worker counts from the next message on.
STANDING_SELECT = """SELECT u.username, u.displayName, u.createdAt AS accountCreatedAt,
    (SELECT 1 FROM chat_bans WHERE stream = :s AND userId = :u) AS banned,
    (SELECT untilAt FROM chat_timeouts WHERE stream = :s AND userId = :u AND untilAt > :now)
        AS timedOutUntil,
    (SELECT 1 FROM chat_moderators WHERE stream = :s AND userId = :u) AS moderator,
    (SELECT 1 FROM follows WHERE followerId = :u AND streamerId = :owner) AS follower,
    (SELECT text FROM chat_messages WHERE stream = :s AND authorId = :u
        AND status IN ('visible', 'held') ORDER BY rowid DESC LIMIT 1) AS lastText,
    (SELECT createdAt FROM chat_messages WHERE stream = :s AND authorId = :u
        AND status IN ('visible', 'held') ORDER BY rowid DESC LIMIT 1) AS lastAt
    FROM users u WHERE u.id = :u"""


@dataclass(frozen=True)
class Standing:
    """A signed-in account in a stream's chat, as it stands now."""

    role: ChatRole
    username: str
    display_name: str
    account_created: datetime
    banned: bool
    timed_out_until: datetime | None
    follower: bool
    last_text: str | None  # their latest message here (visible or held), for the
    last_at: datetime | None  # duplicate check and slow mode

    @classmethod
    def of(cls, db: Database, room: ChatRoom, user: AuthUser) -> Standing | None:
        """None for a guest, or an account that no longer exists."""
        if user.is_guest:
            return None
        row = db.one(
            STANDING_SELECT,
            {"s": room.stream, "u": user.id, "owner": room.owner_id, "now": now_iso()},
        )
        return None if row is None else cls._from_row(row, room, user)

    @classmethod
    def _from_row(cls, row: Row, room: ChatRoom, user: AuthUser) -> Standing:
        role: ChatRole = "host" if user.id == room.owner_id else "viewer"
        if role == "viewer" and row["moderator"]:
            role = "moderator"
        return cls(
            role=role,
            username=row["username"],
            display_name=row["displayName"],
            account_created=parse_iso(row["accountCreatedAt"]),
            banned=bool(row["banned"]),
            timed_out_until=parse_iso(row["timedOutUntil"]) if row["timedOutUntil"] else None,
            follower=bool(row["follower"]),
            last_text=row["lastText"],
            last_at=parse_iso(row["lastAt"]) if row["lastAt"] else None,
        )

    @property
    def trusted(self) -> bool:
        """The streamer and moderators: exempt from members-only, slow mode, links and words."""
        return self.role in ("host", "moderator")
