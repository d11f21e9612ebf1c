"""The catalog itself: kept in step with the effects in code, listed whole or by category, one
filter, the trending and the featured ones."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.services.stream_filters.presenters import FilterPresenter
from backend.services.stream_filters.rules import (
    CATALOG_FIELDS,
    CURATED,
    TRENDING_WINDOW,
    check_category,
    require_category,
)
from backend.services.stream_filters.store import FilterStore
from backend.storage.db import Row, iso, utc_now
from filters import registry
from wire.stream_filters import CatalogFilter, TrendingFilter


@dataclass(frozen=True)
class Synced:
    """How many catalog rows one sync with the code added, updated and hid."""

    added: int = 0
    updated: int = 0
    hidden: int = 0


def catalog_record(described: Mapping[str, Any], order: int) -> Row:
    """The columns of a catalog row that come from an effect's description in code."""
    return {
        "name": described["name"],
        "description": described["description"],
        "category": described["category"],
        "version": described["version"],
        "premium": int(bool(described["premium"])),
        "price": int(described["price"]),
        "tags": json.dumps(described["tags"]),
        "needs": json.dumps(described["needs"]),
        "parameters": json.dumps(described["parameters"]),
        "sortOrder": order,
    }


class Catalog:
    def __init__(self, store: FilterStore, present: FilterPresenter) -> None:
        self.store = store
        self.db = store.db
        self.present = present

    def sync(self) -> Synced:
        """Make the catalog match the registry: every effect in code has a row with the same id,
        parameters and price; an effect removed from the code keeps its row, hidden, so unlocks,
        favourites and ratings survive its return."""
        wanted = {
            described["id"]: catalog_record(described, order)
            for order, described in enumerate(registry.describe_all())
        }
        added = updated = hidden = 0
        with self.db.transaction():
            current = {row["id"]: row for row in self.db.all("SELECT * FROM stream_filters")}
            for filter_id, record in wanted.items():
                row = current.get(filter_id)
                if row is None:
                    featured = int(filter_id in CURATED)
                    self.db.insert(
                        "stream_filters", {"id": filter_id, **record, "featured": featured}
                    )
                    added += 1
                elif not row["available"] or any(row[k] != record[k] for k in CATALOG_FIELDS):
                    self.db.update("stream_filters", filter_id, {**record, "available": 1})
                    updated += 1
            for filter_id, row in current.items():
                if filter_id not in wanted and row["available"]:
                    self.db.update("stream_filters", filter_id, {"available": 0})
                    hidden += 1
        return Synced(added, updated, hidden)

    def listing(self, viewer_id: str, category: str | None = None) -> list[CatalogFilter]:
        """Every offered filter, or those of one ``category``, in the code's order."""
        check_category(category)
        return self._offered(viewer_id, category)

    def by_category(self, viewer_id: str, category: str) -> list[CatalogFilter]:
        require_category(category)
        return self._offered(viewer_id, category)

    def _offered(self, viewer_id: str, category: str | None) -> list[CatalogFilter]:
        rows = self.db.all(
            "SELECT * FROM stream_filters WHERE available = 1"
            " AND (:category IS NULL OR category = :category) ORDER BY sortOrder",
            {"category": category},
        )
        return self.present.listing(rows, viewer_id, CatalogFilter)

    def get(self, viewer_id: str, filter_id: str) -> CatalogFilter:
        return self.present.one(self.store.available(filter_id), viewer_id)

    def trending(self, viewer_id: str, limit: int = 10) -> list[TrendingFilter]:
        """Filters applied in the trending window (seven days), most applied first."""
        since = iso(utc_now() - TRENDING_WINDOW)
        rows = self.db.all(
            "SELECT f.*, a.recentUses, a.recentUsers FROM"
            " (SELECT filterId, COUNT(*) AS recentUses, COUNT(DISTINCT userId) AS recentUsers"
            "  FROM filter_applications WHERE createdAt >= ? GROUP BY filterId) a"
            " JOIN stream_filters f ON f.id = a.filterId WHERE f.available = 1"
            " ORDER BY a.recentUses DESC, a.recentUsers DESC, f.usageCount DESC, f.sortOrder"
            " LIMIT ?",
            (since, limit),
        )
        return self.present.listing(rows, viewer_id, TrendingFilter)

    def featured(self, viewer_id: str, limit: int = 12) -> list[CatalogFilter]:
        """The curated filters, then the highest rated; each group best rated first."""
        rows = self.db.all(
            "SELECT * FROM stream_filters WHERE available = 1 AND (featured = 1 OR ratingCount > 0)"
            " ORDER BY featured DESC,"
            " COALESCE(CAST(ratingSum AS REAL) / NULLIF(ratingCount, 0), 0) DESC,"
            " ratingCount DESC, usageCount DESC, sortOrder LIMIT ?",
            (limit,),
        )
        return self.present.listing(rows, viewer_id, CatalogFilter)
