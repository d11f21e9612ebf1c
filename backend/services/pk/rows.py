"""Battle rows as every part of the PK service reads them."""

from __future__ import annotations

from backend.errors import Conflict, NotFound
from backend.services.records import fetch
from backend.storage.db import Database, Row


def battle_row(db: Database, battle_id: str, lock: bool = False) -> Row:
    return fetch(db, "pk_battles", battle_id, "Battle not found.", "battle_not_found", lock)


def visible_row(db: Database, battle_id: str, viewer_id: str, lock: bool = False) -> Row:
    """A pending invitation is private to its two hosts; everything else is public. With
    ``lock``, the row is locked until COMMIT (a gift: its scores are read, then raised)."""
    row = battle_row(db, battle_id, lock)
    if row["status"] == "pending" and viewer_id not in (row["host1Id"], row["host2Id"]):
        raise NotFound("Battle not found.", code="battle_not_found")
    return row


def ensure_free(db: Database, user_id: str, message: str, besides: str = "") -> None:
    """One battle per host: no active battle, and no challenge of their own still waiting."""
    busy = db.one(
        "SELECT id FROM pk_battles WHERE id != :besides AND ((status = 'active' AND"
        " (host1Id = :u OR host2Id = :u)) OR (status = 'pending' AND host1Id = :u)) LIMIT 1",
        {"u": user_id, "besides": besides},
    )
    if busy is not None:
        raise Conflict(message, code="host_busy")


def note_viewer(db: Database, battle_id: str, user_id: str, stamp: str) -> None:
    """Record that a signed-in viewer (not a host) took part: joined the room or gifted."""
    db.write(
        "INSERT OR IGNORE INTO pk_viewers (id, createdAt, updatedAt, battleId, userId)"
        " SELECT lower(hex(randomblob(16))), :t, :t, id, :u FROM pk_battles"
        " WHERE id = :b AND host1Id != :u AND host2Id != :u",
        {"t": stamp, "u": user_id, "b": battle_id},
    )
