"""Rows of the chat tables as wire models."""

from __future__ import annotations

import json

from backend.storage.db import Database, Row, parse_iso
from wire.chat import (
    BlockedWords,
    ChatAuthor,
    ChatMessage,
    ChatSettings,
    ChatUser,
    ModerationAction,
)

MESSAGE_SELECT = (
    "SELECT m.rowid AS seq, m.*, u.username, u.displayName FROM chat_messages m"
    " LEFT JOIN users u ON u.id = m.authorId"
)
DEFAULT_ROOM: Row = {
    "slowModeSeconds": 0,
    "membersOnly": 0,
    "minAccountAgeMinutes": 0,
    "linksAllowed": 0,
    "blockedWords": "[]",
    "blockedAction": "mask",
    "pinnedMessageId": None,
    "pinnedBy": None,
}


def chat_user(card: Row) -> ChatUser:
    """``card``: a ``users`` row (``id``, ``username``, ``displayName``)."""
    return ChatUser(id=card["id"], username=card["username"], display_name=card["displayName"])


def user_cards(db: Database, user_ids: set[str]) -> dict[str, ChatUser]:
    ids = sorted(user_ids)
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = db.all(f"SELECT id, username, displayName FROM users WHERE id IN ({marks})", tuple(ids))
    return {row["id"]: chat_user(row) for row in rows}


def message(row: Row) -> ChatMessage:
    """``row``: a ``chat_messages`` row joined with its author's ``username``/``displayName``."""
    author = None
    if row["kind"] == "user" and row.get("username") is not None:
        author = ChatAuthor(
            id=row["authorId"],
            username=row["username"],
            display_name=row["displayName"],
            role=row["authorRole"],
        )
    return ChatMessage(
        id=row["id"],
        stream=row["stream"],
        kind=row["kind"],
        text=row["text"],
        author=author,
        system=row["systemKind"],
        masked=bool(row["masked"]),
        created_at=parse_iso(row["createdAt"]),
    )


def settings(stream: str, room: Row) -> ChatSettings:
    return ChatSettings(
        stream=stream,
        slow_mode_seconds=room["slowModeSeconds"],
        members_only=bool(room["membersOnly"]),
        min_account_age_minutes=room["minAccountAgeMinutes"],
        links_allowed=bool(room["linksAllowed"]),
    )


def blocked_words(stream: str, room: Row) -> BlockedWords:
    return BlockedWords(
        stream=stream, words=json.loads(room["blockedWords"]), action=room["blockedAction"]
    )


def action(row: Row, cards: dict[str, ChatUser]) -> ModerationAction:
    unknown = ChatUser(id=row["actorId"], username="", display_name="(deleted account)")
    target = row["targetUserId"]
    return ModerationAction(
        id=row["id"],
        stream=row["stream"],
        actor=cards.get(row["actorId"], unknown),
        action=row["action"],
        target_user=cards.get(target) if target else None,
        message_id=row["messageId"],
        detail=row["detail"],
        created_at=parse_iso(row["createdAt"]),
    )
