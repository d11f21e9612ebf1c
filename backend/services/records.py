"""Lookups and announcements shared by the feature services (sessions, hosts, sellers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from backend.errors import NotFound
from backend.events import EventSink, Payload
from backend.storage.db import Database, Row


def fetch(
    db: Database, table: str, row_id: str, message: str, code: str, lock: bool = False
) -> Row:
    """The row with ``row_id`` or NotFound with ``message``/``code``; with ``lock``, locked
    until COMMIT (``Database.one_for_update``)."""
    read = db.one_for_update if lock else db.one
    row = read(f'SELECT * FROM "{table}" WHERE id = ?', (row_id,))
    if row is None:
        raise NotFound(message, code=code)
    return row


def passes(check: Callable[[], object]) -> bool:
    """Whether ``check`` (a lookup that raises NotFound for what one may not see) passes."""
    try:
        check()
    except NotFound:
        return False
    return True


def require_user(db: Database, user_id: str) -> None:
    if db.one("SELECT id FROM users WHERE id = ?", (user_id,)) is None:
        raise NotFound("That user does not exist.", code="user_not_found")


def user_cards(db: Database, user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Public cards ``{id, username, displayName}`` by id (unknown ids are left out)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = db.all(f"SELECT id, username, displayName FROM users WHERE id IN ({marks})", tuple(ids))
    return {row["id"]: row for row in rows}


def announce(
    db: Database, events: EventSink, rooms: Iterable[str], event: str, data: Payload
) -> None:
    """Publish to every member of ``rooms`` once, when the current transaction commits."""
    targets = tuple(dict.fromkeys(rooms))
    db.after_commit(lambda: events.publish_many(targets, event, data))
