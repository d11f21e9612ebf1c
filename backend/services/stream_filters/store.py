"""Reading the catalog's rows with the lookups every part shares: a filter (offered or not),
what one user did with the catalog, a custom filter as its viewer may see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from backend.errors import NotFound
from backend.events import EventSink
from backend.services.records import fetch
from backend.storage.db import Database, Row


@dataclass
class Viewer:
    """What one user has done with the catalog: favourites, unlocks, ratings."""

    favorites: set[str] = field(default_factory=set)
    unlocked: set[str] = field(default_factory=set)
    ratings: dict[str, int] = field(default_factory=dict)


class FilterStore:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    def row(self, filter_id: str) -> Row:
        """The filter's row, offered or hidden (a filter removed from the code)."""
        return fetch(
            self.db,
            "stream_filters",
            filter_id,
            f"There is no filter '{filter_id}'.",
            "filter_not_found",
        )

    def available(self, filter_id: str) -> Row:
        """The filter's row if it is still offered."""
        row = self.row(filter_id)
        if not row["available"]:
            raise NotFound(
                f"The filter '{filter_id}' is no longer offered.", code="filter_not_found"
            )
        return row

    def has_unlocked(self, user_id: str, filter_id: str) -> bool:
        found = self.db.one(
            "SELECT id FROM filter_unlocks WHERE userId = ? AND filterId = ?",
            (user_id, filter_id),
        )
        return found is not None

    def kept(
        self, user_id: str, table: Literal["filter_favorites", "filter_unlocks"], columns: str
    ) -> list[Row]:
        """The offered filters ``user_id`` favourited or unlocked (``table``), the latest first,
        with ``columns`` of that table's row (``x``) beside the filter's."""
        return self.db.all(
            f"SELECT f.*, {columns} FROM {table} x JOIN stream_filters f ON f.id = x.filterId"
            " WHERE x.userId = ? AND f.available = 1 ORDER BY x.createdAt DESC, x.rowid DESC",
            (user_id,),
        )

    def viewer(self, user_id: str) -> Viewer:
        favorites = self.db.all(
            "SELECT filterId FROM filter_favorites WHERE userId = ?", (user_id,)
        )
        unlocks = self.db.all("SELECT filterId FROM filter_unlocks WHERE userId = ?", (user_id,))
        ratings = self.db.all(
            "SELECT filterId, rating FROM filter_ratings WHERE userId = ?", (user_id,)
        )
        return Viewer(
            favorites={r["filterId"] for r in favorites},
            unlocked={r["filterId"] for r in unlocks},
            ratings={r["filterId"]: r["rating"] for r in ratings},
        )

    def visible_custom(self, custom_id: str, viewer_id: str) -> Row:
        """A private custom filter exists only for its author."""
        row = self.db.one("SELECT * FROM custom_filters WHERE id = ?", (custom_id,))
        if row is None or (not row["public"] and row["authorId"] != viewer_id):
            raise NotFound("Custom filter not found.", code="custom_filter_not_found")
        return row
