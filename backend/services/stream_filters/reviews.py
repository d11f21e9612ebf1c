"""What users think of a filter: favourites (add and remove, both idempotent) and ratings (one
per user per filter; rating again replaces it)."""

from __future__ import annotations

from backend.services.stream_filters.presenters import FilterPresenter
from backend.services.stream_filters.rules import check_rating
from backend.services.stream_filters.store import FilterStore
from wire.stream_filters import Favorite, FavoriteFilter, Rated


class Reviews:
    def __init__(self, store: FilterStore, present: FilterPresenter) -> None:
        self.store = store
        self.db = store.db
        self.present = present

    def set_favorite(self, user_id: str, filter_id: str, favorite: bool) -> Favorite:
        """Add or remove a favourite; a filter no longer offered can still be removed."""
        with self.db.transaction():
            if favorite:
                self.store.available(filter_id)
            else:
                self.store.row(filter_id)
            exists = self.db.one(
                "SELECT id FROM filter_favorites WHERE userId = ? AND filterId = ?",
                (user_id, filter_id),
            )
            if favorite and exists is None:
                self.db.insert("filter_favorites", {"filterId": filter_id, "userId": user_id})
            elif not favorite and exists is not None:
                self.db.execute("DELETE FROM filter_favorites WHERE id = ?", (exists["id"],))
            self.db.execute(
                "UPDATE stream_filters SET favoriteCount ="
                " (SELECT COUNT(*) FROM filter_favorites WHERE filterId = :f) WHERE id = :f",
                {"f": filter_id},
            )
            count = self.db.scalar(
                "SELECT favoriteCount FROM stream_filters WHERE id = ?", (filter_id,)
            )
        return Favorite(filter_id=filter_id, favorited=favorite, favorite_count=count)

    def favorites(self, user_id: str) -> list[FavoriteFilter]:
        """The offered filters ``user_id`` favourited, the latest first."""
        rows = self.store.kept(user_id, "filter_favorites", "x.createdAt AS favoritedAt")
        return self.present.listing(rows, user_id, FavoriteFilter)

    def rate(self, user_id: str, filter_id: str, rating: int) -> Rated:
        check_rating(rating)
        with self.db.transaction():
            self.store.available(filter_id)
            previous = self.db.one(
                "SELECT id FROM filter_ratings WHERE filterId = ? AND userId = ?",
                (filter_id, user_id),
            )
            if previous is None:
                self.db.insert(
                    "filter_ratings", {"filterId": filter_id, "userId": user_id, "rating": rating}
                )
            else:
                self.db.update("filter_ratings", previous["id"], {"rating": rating})
            self.db.execute(
                "UPDATE stream_filters SET"
                " ratingSum = (SELECT COALESCE(SUM(rating), 0) FROM filter_ratings"
                "   WHERE filterId = :f),"
                " ratingCount = (SELECT COUNT(*) FROM filter_ratings WHERE filterId = :f)"
                " WHERE id = :f",
                {"f": filter_id},
            )
            row = self.store.row(filter_id)
        return Rated(
            filter_id=filter_id,
            my_rating=rating,
            updated=previous is not None,
            rating=self.present.rating(row),
        )
