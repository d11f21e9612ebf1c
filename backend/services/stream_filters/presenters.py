"""Rows of the catalog as the wire models of ``wire.stream_filters``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from backend.services.records import user_cards
from backend.services.stream_filters.rules import average
from backend.services.stream_filters.store import FilterStore, Viewer
from backend.storage.db import Row
from wire.stream_filters import (
    AppliedFilter,
    CatalogFilter,
    CustomFilter,
    FilterApplied,
    FilterRating,
)
from wire.users import UserCard

Listed = TypeVar("Listed", bound=CatalogFilter)


class FilterPresenter:
    def __init__(self, store: FilterStore) -> None:
        self.store = store
        self.db = store.db

    @staticmethod
    def rating(row: Row) -> FilterRating:
        return FilterRating(average=average(row), count=row["ratingCount"])

    def catalog_filter(self, row: Row, viewer: Viewer, model: type[Listed]) -> Listed:
        """The filter as ``viewer`` sees it; ``model`` adds what its query selected beside the
        filter's columns (``recentUses``, ``favoritedAt``, ``paid`` ...)."""
        premium = bool(row["premium"])
        unlocked = premium and row["id"] in viewer.unlocked
        return model.model_validate(
            {
                **row,
                "premium": premium,
                "tags": json.loads(row["tags"]),
                "needs": json.loads(row["needs"]),
                "parameters": json.loads(row["parameters"]),
                "featured": bool(row["featured"]),
                "rating": self.rating(row),
                "favorited": row["id"] in viewer.favorites,
                "unlocked": unlocked,
                "locked": premium and not unlocked,
                "myRating": viewer.ratings.get(row["id"]),
            }
        )

    def listing(self, rows: list[Row], viewer_id: str, model: type[Listed]) -> list[Listed]:
        viewer = self.store.viewer(viewer_id)
        return [self.catalog_filter(row, viewer, model) for row in rows]

    def one(self, row: Row, viewer_id: str) -> CatalogFilter:
        return self.catalog_filter(row, self.store.viewer(viewer_id), CatalogFilter)

    def card(self, user_id: str) -> UserCard:
        return UserCard.model_validate(user_cards(self.db, [user_id])[user_id])

    def applied(
        self, application: Row, row: Row, values: Mapping[str, Any], user_id: str
    ) -> FilterApplied:
        return FilterApplied(
            id=application["id"],
            stream_id=application["streamId"],
            filter_id=row["id"],
            filter=AppliedFilter(
                id=row["id"],
                name=row["name"],
                category=row["category"],
                version=row["version"],
                premium=bool(row["premium"]),
            ),
            parameters=dict(values),
            user=self.card(user_id),
            applied_at=application["createdAt"],
        )

    def custom_filters(self, rows: list[Row], viewer_id: str) -> list[CustomFilter]:
        """Custom filters as ``viewer_id`` sees them: which of their filters are premium, which
        of those the viewer has yet to unlock, whether every one is still offered."""
        cards = user_cards(self.db, (row["authorId"] for row in rows))
        catalog = {
            row["id"]: row
            for row in self.db.all("SELECT id, premium, available FROM stream_filters")
        }
        unlocked = self.store.viewer(viewer_id).unlocked
        out = []
        for row in rows:
            preset = json.loads(row["preset"])
            ids = list(dict.fromkeys(entry["id"] for entry in preset["filters"]))
            premium = [i for i in ids if catalog.get(i, {}).get("premium")]
            out.append(
                CustomFilter.model_validate(
                    {
                        **row,
                        "public": bool(row["public"]),
                        "author": cards[row["authorId"]],
                        "preset": preset,
                        "filterIds": ids,
                        "premiumFilterIds": premium,
                        "lockedFilterIds": [i for i in premium if i not in unlocked],
                        "available": all(catalog.get(i, {}).get("available") for i in ids),
                    }
                )
            )
        return out

    def custom_filter(self, row: Row, viewer_id: str) -> CustomFilter:
        return self.custom_filters([row], viewer_id)[0]
