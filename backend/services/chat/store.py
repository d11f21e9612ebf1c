"""Reads and writes the chat's services share: a room's rules, one message, the action log."""

from __future__ import annotations

from backend.errors import NotFound
from backend.services.chat.presenters import DEFAULT_ROOM, MESSAGE_SELECT
from backend.storage.db import Database, Row, now_iso


def room_rules(db: Database, stream: str) -> Row:
    """The stream's ``chat_rooms`` row, or the defaults when nobody changed anything yet."""
    return db.one("SELECT * FROM chat_rooms WHERE stream = ?", (stream,)) or dict(DEFAULT_ROOM)


def change_rules(db: Database, stream: str, changes: Row) -> Row:
    """Inside a transaction: store ``changes`` to the room's rules; returns the new rules."""
    stamp = now_iso()
    db.execute(
        "INSERT OR IGNORE INTO chat_rooms (id, createdAt, updatedAt, stream)"
        " VALUES (lower(hex(randomblob(16))), ?, ?, ?)",
        (stamp, stamp, stream),
    )
    if changes:
        assignments = ", ".join(f'"{key}" = ?' for key in changes)
        db.execute(
            f"UPDATE chat_rooms SET {assignments}, updatedAt = ? WHERE stream = ?",
            (*changes.values(), stamp, stream),
        )
    return room_rules(db, stream)


def find_message(db: Database, stream: str, message_id: str, status: str = "visible") -> Row:
    row = db.one(
        MESSAGE_SELECT + " WHERE m.id = ? AND m.stream = ? AND m.status = ?",
        (message_id, stream, status),
    )
    if row is None:
        raise NotFound("That message is not in this chat (any more).", code="message_not_found")
    return row


def record_action(
    db: Database,
    stream: str,
    actor_id: str,
    action: str,
    *,
    target_user_id: str | None = None,
    message_id: str | None = None,
    detail: str = "",
) -> Row:
    """Inside the action's transaction: one line of the moderation log."""
    return db.insert(
        "chat_actions",
        {
            "stream": stream,
            "actorId": actor_id,
            "action": action,
            "targetUserId": target_user_id,
            "messageId": message_id,
            "detail": detail,
        },
    )
