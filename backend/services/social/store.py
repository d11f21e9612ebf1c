"""Lookups every part of the social features shares (no rules here)."""

from __future__ import annotations

from collections.abc import Collection

from backend.errors import NotFound
from backend.storage.db import Database, Row

USER_COLUMNS = "u.id, u.username, u.displayName"


def user_row(db: Database, user_id: str) -> Row:
    row = db.one(f"SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?", (user_id,))
    if row is None:
        raise NotFound("There is no such user.", code="user_not_found")
    return row


def rows_in(db: Database, sql: str, values: Collection[str], *before: object) -> list[Row]:
    """The rows of ``sql``, each ``{values}`` in it standing for ``values`` as an IN list (its
    parameters after ``before``); none when ``values`` is empty."""
    if not values:
        return []
    marks = ", ".join("?" for _ in values)
    uses = sql.count("{values}")
    return db.all(sql.format(values=marks), (*before, *tuple(values) * uses))


def follower_counts(db: Database, streamer_ids: Collection[str]) -> dict[str, int]:
    """How many followers each of ``streamer_ids`` has (0 for those with none)."""
    rows = rows_in(
        db,
        "SELECT streamerId, COUNT(*) AS n FROM follows WHERE streamerId IN ({values})"
        " GROUP BY streamerId",
        streamer_ids,
    )
    counts = {row["streamerId"]: int(row["n"]) for row in rows}
    return {streamer: counts.get(streamer, 0) for streamer in streamer_ids}


def followed_by(db: Database, follower_id: str) -> set[str]:
    """The ids of the streamers ``follower_id`` follows."""
    rows = db.all("SELECT streamerId FROM follows WHERE followerId = ?", (follower_id,))
    return {row["streamerId"] for row in rows}


def is_following(db: Database, follower_id: str, streamer_id: str) -> bool:
    return (
        db.one(
            "SELECT 1 FROM follows WHERE followerId = ? AND streamerId = ?",
            (follower_id, streamer_id),
        )
        is not None
    )


def name_pattern(query: str) -> str:
    """A LIKE pattern (``ESCAPE '\\'``) for names containing ``query``."""
    escaped = query.replace("\\", "").replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"
