"""Searching the catalog: filters whose name, tags, description or id contain every word."""

from __future__ import annotations

from typing import Any

from backend.services.stream_filters.presenters import FilterPresenter
from backend.services.stream_filters.rules import check_category, like, search_words
from backend.services.stream_filters.store import FilterStore
from wire.stream_filters import CatalogFilter


class Search:
    def __init__(self, store: FilterStore, present: FilterPresenter) -> None:
        self.db = store.db
        self.present = present

    def find(
        self, viewer_id: str, query: str, category: str | None = None, limit: int = 50
    ) -> list[CatalogFilter]:
        """Matches in the name first, then in the tags, then elsewhere; the most used first."""
        words = search_words(query)
        check_category(category)
        conditions = ["available = 1"]
        params: dict[str, Any] = {"whole": like(" ".join(words)), "limit": limit}
        for i, word in enumerate(words):
            conditions.append(
                f"(lower(name) LIKE :w{i} ESCAPE '\\' OR lower(tags) LIKE :w{i} ESCAPE '\\'"
                f" OR lower(description) LIKE :w{i} ESCAPE '\\' OR id LIKE :w{i} ESCAPE '\\')"
            )
            params[f"w{i}"] = like(word)
        if category is not None:
            conditions.append("category = :category")
            params["category"] = category
        rows = self.db.all(
            f"SELECT * FROM stream_filters WHERE {' AND '.join(conditions)}"
            " ORDER BY CASE WHEN lower(name) LIKE :whole ESCAPE '\\' THEN 0"
            " WHEN lower(tags) LIKE :whole ESCAPE '\\' THEN 1 ELSE 2 END,"
            " usageCount DESC, sortOrder LIMIT :limit",
            params,
        )
        return self.present.listing(rows, viewer_id, CatalogFilter)
