"""Stream-filters catalog: the effects of ``filters.registry`` as a catalog with use, unlocks,
favourites, ratings and users' custom filters (presets of known filters).

The catalog is seeded from the registry at start (``ensure_catalog``): every effect in code has
a row with the same id, parameters and price; an effect removed from the code keeps its row,
hidden (``available = 0``), so unlocks, favourites and ratings survive its return. Applying a
filter checks the parameters against the filter's declared ranges, records the use and tells
the stream's room (``stream:{stream}``) and the streamer's own connections.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.events import EventSink
from backend.services.records import announce, fetch, user_cards
from backend.services.wallet import WalletService
from backend.services.webrtc import owns_stream, validate_stream_name
from backend.storage.db import Database, Row, iso, utc_now
from filters import registry
from filters.base import Category
from filters.params import ParamType
from filters.presets import Preset, PresetEntry, PresetError
from wire.events import StreamFilters, stream_room, user_room

CATEGORIES = tuple(category.value for category in Category)
TRENDING_WINDOW = timedelta(days=7)
# Seeded as featured when a filter first enters the catalog (one or two per kind of effect).
CURATED = frozenset(
    {
        "beauty.smooth",
        "beauty.reshape",
        "makeup.lipstick",
        "ar.particles",
        "color.cinematic",
        "background.blur",
        "voice.robot",
    }
)
MAX_CUSTOM_ENTRIES = 20
MAX_NAME, MAX_DESCRIPTION = 80, 500
MAX_QUERY_WORDS = 8
CUSTOM_SCOPES = ("marketplace", "mine")
# What a public custom filter may name in a file parameter: a bundled asset, never a path on
# its author's machine (another user's studio would try to open it).
BUNDLED_ASSET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CATALOG_FIELDS = (
    "name",
    "description",
    "category",
    "version",
    "premium",
    "price",
    "tags",
    "needs",
    "parameters",
    "sortOrder",
)


@dataclass
class Viewer:
    """What one user has done with the catalog: favourites, unlocks, ratings."""

    favorites: set[str] = field(default_factory=set)
    unlocked: set[str] = field(default_factory=set)
    ratings: dict[str, int] = field(default_factory=dict)


def _catalog_record(described: Mapping[str, Any], order: int) -> dict[str, Any]:
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


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _average(row: Row) -> float | None:
    return round(row["ratingSum"] / row["ratingCount"], 2) if row["ratingCount"] else None


class StreamFilterService:
    def __init__(self, db: Database, events: EventSink, wallet: WalletService) -> None:
        self.db = db
        self.events = events
        self.wallet = wallet

    # ---- catalog --------------------------------------------------------------------
    def ensure_catalog(self) -> dict[str, int]:
        """Make the catalog match the registry; returns how many rows were added/updated/hidden."""
        wanted = {
            described["id"]: _catalog_record(described, order)
            for order, described in enumerate(registry.describe_all())
        }
        counts = {"added": 0, "updated": 0, "hidden": 0}
        with self.db.transaction():
            current = {row["id"]: row for row in self.db.all("SELECT * FROM stream_filters")}
            for filter_id, record in wanted.items():
                row = current.get(filter_id)
                if row is None:
                    featured = int(filter_id in CURATED)
                    self.db.insert(
                        "stream_filters", {"id": filter_id, **record, "featured": featured}
                    )
                    counts["added"] += 1
                elif not row["available"] or any(row[k] != record[k] for k in CATALOG_FIELDS):
                    self.db.update("stream_filters", filter_id, {**record, "available": 1})
                    counts["updated"] += 1
            for filter_id, row in current.items():
                if filter_id not in wanted and row["available"]:
                    self.db.update("stream_filters", filter_id, {"available": 0})
                    counts["hidden"] += 1
        return counts

    def list_filters(self, viewer_id: str, category: str | None = None) -> list[dict[str, Any]]:
        if category is not None and category not in CATEGORIES:
            raise InvalidInput(
                f"category must be one of {', '.join(CATEGORIES)}.", code="invalid_category"
            )
        return self._listing(viewer_id, category)

    def by_category(self, viewer_id: str, category: str) -> list[dict[str, Any]]:
        if category not in CATEGORIES:
            raise NotFound(
                f"There is no category '{category}'; there are {', '.join(CATEGORIES)}.",
                code="category_not_found",
            )
        return self._listing(viewer_id, category)

    def _listing(self, viewer_id: str, category: str | None) -> list[dict[str, Any]]:
        where, params = "available = 1", []
        if category is not None:
            where += " AND category = ?"
            params.append(category)
        rows = self.db.all(
            f"SELECT * FROM stream_filters WHERE {where} ORDER BY sortOrder", tuple(params)
        )
        return self._present_all(rows, viewer_id)

    def get(self, viewer_id: str, filter_id: str) -> dict[str, Any]:
        return self._present(self._available(filter_id), self._viewer(viewer_id))

    def trending(self, viewer_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """Filters applied in the last seven days, most applied first."""
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
        presented = self._present_all(rows, viewer_id)
        for item, row in zip(presented, rows, strict=True):
            item["recentUses"] = row["recentUses"]
            item["recentUsers"] = row["recentUsers"]
        return presented

    def featured(self, viewer_id: str, limit: int = 12) -> list[dict[str, Any]]:
        """The curated filters, then the highest rated; each group best rated first."""
        rows = self.db.all(
            "SELECT * FROM stream_filters WHERE available = 1 AND (featured = 1 OR ratingCount > 0)"
            " ORDER BY featured DESC,"
            " COALESCE(CAST(ratingSum AS REAL) / NULLIF(ratingCount, 0), 0) DESC,"
            " ratingCount DESC, usageCount DESC, sortOrder LIMIT ?",
            (limit,),
        )
        return self._present_all(rows, viewer_id)

    def search(
        self, viewer_id: str, query: str, category: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Filters whose name, tags, description or id contain every word of ``query``."""
        words = query.lower().split()
        if not words:
            raise InvalidInput("Type something to search for.", code="invalid_query")
        if len(words) > MAX_QUERY_WORDS:
            raise InvalidInput(
                f"Search with at most {MAX_QUERY_WORDS} words.", code="invalid_query"
            )
        if category is not None and category not in CATEGORIES:
            raise InvalidInput(
                f"category must be one of {', '.join(CATEGORIES)}.", code="invalid_category"
            )
        conditions = ["available = 1"]
        params: dict[str, Any] = {"whole": _like(" ".join(words)), "limit": limit}
        for i, word in enumerate(words):
            conditions.append(
                f"(lower(name) LIKE :w{i} ESCAPE '\\' OR lower(tags) LIKE :w{i} ESCAPE '\\'"
                f" OR lower(description) LIKE :w{i} ESCAPE '\\' OR id LIKE :w{i} ESCAPE '\\')"
            )
            params[f"w{i}"] = _like(word)
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
        return self._present_all(rows, viewer_id)

    # ---- apply ----------------------------------------------------------------------
    def apply(
        self, user_id: str, filter_id: str, stream_id: str, parameters: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Validate and record one use on the caller's stream; tell the stream's room."""
        with self.db.transaction():
            row = self._available(filter_id)
            stream = self._own_stream(user_id, stream_id)
            if row["premium"] and not self._has_unlocked(user_id, filter_id):
                raise Forbidden(
                    f"'{row['name']}' is a premium filter: unlock it for {row['price']} coins"
                    " first.",
                    code="filter_locked",
                )
            values = self._validate(filter_id, parameters)
            application = self.db.insert(
                "filter_applications",
                {
                    "filterId": filter_id,
                    "userId": user_id,
                    "streamId": stream,
                    "parameters": json.dumps(values),
                },
            )
            self.db.execute(
                "UPDATE stream_filters SET usageCount = usageCount + 1 WHERE id = ?", (filter_id,)
            )
            card = user_cards(self.db, [user_id])[user_id]
            payload = {
                "id": application["id"],
                "streamId": stream,
                "filterId": filter_id,
                "filter": {
                    "id": filter_id,
                    "name": row["name"],
                    "category": row["category"],
                    "version": row["version"],
                    "premium": bool(row["premium"]),
                },
                "parameters": values,
                "user": card,
                "appliedAt": application["createdAt"],
            }
            announce(
                self.db,
                self.events,
                (stream_room(stream), user_room(user_id)),
                StreamFilters.APPLIED,
                payload,
            )
        return payload

    def _own_stream(self, user_id: str, stream_id: str) -> str:
        """The caller's stream as the media code names it (``username`` or ``username~label``);
        the caller's user id stands for their main stream."""
        user = fetch(self.db, "users", user_id, "That user does not exist.", "user_not_found")
        username = str(user["username"])
        if stream_id == user_id:
            return username
        someone_else = self.db.one("SELECT id FROM users WHERE id = ?", (stream_id,))
        if someone_else is None:
            try:
                validate_stream_name(stream_id)
            except InvalidInput as exc:
                raise InvalidInput(exc.message, code="invalid_stream") from None
        if someone_else is not None or not owns_stream(stream_id, username):
            raise Forbidden(
                f"You can only apply filters to your own stream ({username},"
                f" {username}~label or your user id).",
                code="not_your_stream",
            )
        # Imported here: backend.services.streams imports the container, which imports us.
        from backend.services.streams import canonical_name

        return canonical_name(stream_id, username)

    @staticmethod
    def _validate(filter_id: str, parameters: Mapping[str, Any], where: str = "") -> dict:
        try:
            return registry.validate(filter_id, dict(parameters))
        except registry.UnknownFilter:
            raise NotFound(f"There is no filter '{filter_id}'.", code="filter_not_found") from None
        except ValueError as exc:  # ParamError names the parameter
            raise InvalidInput(f"{where}{exc}", code="invalid_parameter") from None

    # ---- unlock, favourites, ratings --------------------------------------------------
    def unlock(self, user_id: str, filter_id: str) -> dict[str, Any]:
        """Pay a premium filter's price once; the caller's transaction makes it atomic."""
        with self.db.transaction():
            row = self._available(filter_id)
            if not row["premium"]:
                raise Conflict(f"'{row['name']}' is free: just use it.", code="filter_free")
            if self._has_unlocked(user_id, filter_id):
                raise Conflict(f"You already unlocked '{row['name']}'.", code="already_unlocked")
            balance = self.wallet.move(user_id, -row["price"], "filter:unlock", filter_id)
            self.db.insert(
                "filter_unlocks", {"filterId": filter_id, "userId": user_id, "coins": row["price"]}
            )
            return {
                "filter": self._present(row, self._viewer(user_id)),
                "coins": row["price"],
                "balance": balance,
            }

    def set_favorite(self, user_id: str, filter_id: str, favorite: bool) -> dict[str, Any]:
        """Add (idempotent) or remove (idempotent) a favourite."""
        with self.db.transaction():
            if favorite:
                self._available(filter_id)
            else:
                self._row(filter_id)
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
        return {"filterId": filter_id, "favorited": favorite, "favoriteCount": count}

    def rate(self, user_id: str, filter_id: str, rating: int) -> dict[str, Any]:
        """One rating per user per filter: rating again replaces it."""
        if not 1 <= rating <= 5:
            raise InvalidInput("rating must be a whole number from 1 to 5.", code="invalid_rating")
        with self.db.transaction():
            self._available(filter_id)
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
            row = self._row(filter_id)
        return {
            "filterId": filter_id,
            "myRating": rating,
            "updated": previous is not None,
            "rating": {"average": _average(row), "count": row["ratingCount"]},
        }

    def favorites(self, user_id: str) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT f.*, x.createdAt AS favoritedAt FROM filter_favorites x"
            " JOIN stream_filters f ON f.id = x.filterId"
            " WHERE x.userId = ? AND f.available = 1 ORDER BY x.createdAt DESC, x.rowid DESC",
            (user_id,),
        )
        presented = self._present_all(rows, user_id)
        for item, row in zip(presented, rows, strict=True):
            item["favoritedAt"] = row["favoritedAt"]
        return presented

    def unlocked(self, user_id: str) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT f.*, x.createdAt AS unlockedAt, x.coins AS paid FROM filter_unlocks x"
            " JOIN stream_filters f ON f.id = x.filterId"
            " WHERE x.userId = ? AND f.available = 1 ORDER BY x.createdAt DESC, x.rowid DESC",
            (user_id,),
        )
        presented = self._present_all(rows, user_id)
        for item, row in zip(presented, rows, strict=True):
            item["unlockedAt"] = row["unlockedAt"]
            item["paid"] = row["paid"]
        return presented

    # ---- custom filters -------------------------------------------------------------
    def create_custom(
        self,
        author_id: str,
        name: str,
        description: str,
        public: bool,
        entries: Iterable[Mapping[str, Any]],
    ) -> dict[str, Any]:
        """A preset of known filters with valid parameters, owned by its author."""
        name, description = name.strip(), description.strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise InvalidInput(
                f"Give the filter a name of 1–{MAX_NAME} characters.", code="invalid_name"
            )
        if len(description) > MAX_DESCRIPTION:
            raise InvalidInput(
                f"Keep the description under {MAX_DESCRIPTION} characters.",
                code="invalid_description",
            )
        items = list(entries)
        if not 1 <= len(items) <= MAX_CUSTOM_ENTRIES:
            raise InvalidInput(
                f"A custom filter chains 1–{MAX_CUSTOM_ENTRIES} filters.", code="invalid_filters"
            )
        with self.db.transaction():
            unlocked = self._viewer(author_id).unlocked
            chain = [self._custom_entry(i, item, unlocked, public) for i, item in enumerate(items)]
            preset = Preset(name, tuple(chain), description)
            try:  # the stored JSON is exactly what the studio loads
                Preset.from_dict(preset.to_dict())
            except PresetError as exc:
                raise InvalidInput(str(exc), code="invalid_filters") from None
            row = self.db.insert(
                "custom_filters",
                {
                    "authorId": author_id,
                    "name": name,
                    "description": description,
                    "public": int(public),
                    "preset": json.dumps(preset.to_dict()),
                },
            )
            return self._present_custom_all([row], author_id)[0]

    def _custom_entry(
        self, index: int, item: Mapping[str, Any], unlocked: set[str], public: bool
    ) -> PresetEntry:
        filter_id = str(item["id"])
        where = f"filters[{index}] ({filter_id}): "
        row = self.db.one(
            "SELECT * FROM stream_filters WHERE id = ? AND available = 1", (filter_id,)
        )
        if row is None:
            raise InvalidInput(f"{where}there is no such filter.", code="unknown_filter")
        params = dict(item.get("params") or {})
        try:
            values = self._validate(filter_id, params, where)
        except NotFound:
            raise InvalidInput(f"{where}there is no such filter.", code="unknown_filter") from None
        if row["premium"] and filter_id not in unlocked:
            raise Forbidden(
                f"{where}unlock '{row['name']}' ({row['price']} coins) before using it in a"
                " custom filter.",
                code="filter_locked",
            )
        chosen = {key: values[key] for key in params}
        if public:
            effect = registry.get(filter_id)
            for key, value in chosen.items():
                if effect.param(key).type is ParamType.FILE and not BUNDLED_ASSET.match(value):
                    raise InvalidInput(
                        f"{where}{key}: a shared filter can only use bundled files (a name like"
                        f" '{effect.param(key).default}'), not a path on your computer.",
                        code="file_not_shareable",
                    )
        return PresetEntry(filter_id, chosen, bool(item.get("enabled", True)))

    def custom_filters(
        self, viewer_id: str, scope: str = "marketplace", limit: int = 50
    ) -> list[dict[str, Any]]:
        """``marketplace``: everyone's public custom filters; ``mine``: all of the viewer's."""
        if scope not in CUSTOM_SCOPES:
            raise InvalidInput("scope must be marketplace or mine.", code="invalid_scope")
        if scope == "mine":
            rows = self.db.all(
                "SELECT * FROM custom_filters WHERE authorId = ?"
                " ORDER BY createdAt DESC, rowid DESC LIMIT ?",
                (viewer_id, limit),
            )
        else:
            rows = self.db.all(
                "SELECT * FROM custom_filters WHERE public = 1"
                " ORDER BY createdAt DESC, rowid DESC LIMIT ?",
                (limit,),
            )
        return self._present_custom_all(rows, viewer_id)

    def get_custom(self, viewer_id: str, custom_id: str) -> dict[str, Any]:
        return self._present_custom_all([self._visible_custom(custom_id, viewer_id)], viewer_id)[0]

    def delete_custom(self, user_id: str, custom_id: str) -> dict[str, Any]:
        with self.db.transaction():
            row = self._visible_custom(custom_id, user_id)
            if row["authorId"] != user_id:
                raise Forbidden("Only its author can delete a custom filter.", code="not_author")
            self.db.execute("DELETE FROM custom_filters WHERE id = ?", (custom_id,))
        return {"id": custom_id, "deleted": True}

    def _visible_custom(self, custom_id: str, viewer_id: str) -> Row:
        """A private custom filter exists only for its author."""
        row = self.db.one("SELECT * FROM custom_filters WHERE id = ?", (custom_id,))
        if row is None or (not row["public"] and row["authorId"] != viewer_id):
            raise NotFound("Custom filter not found.", code="custom_filter_not_found")
        return row

    def _present_custom_all(self, rows: list[Row], viewer_id: str) -> list[dict[str, Any]]:
        cards = user_cards(self.db, (row["authorId"] for row in rows))
        catalog = {
            row["id"]: row
            for row in self.db.all("SELECT id, premium, available FROM stream_filters")
        }
        unlocked = self._viewer(viewer_id).unlocked
        out = []
        for row in rows:
            preset = json.loads(row["preset"])
            ids = list(dict.fromkeys(entry["id"] for entry in preset["filters"]))
            premium = [i for i in ids if catalog.get(i, {}).get("premium")]
            out.append(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "description": row["description"],
                    "public": bool(row["public"]),
                    "author": cards.get(row["authorId"], {"id": row["authorId"]}),
                    "preset": preset,
                    "filterIds": ids,
                    "premiumFilterIds": premium,
                    "lockedFilterIds": [i for i in premium if i not in unlocked],
                    "available": all(catalog.get(i, {}).get("available") for i in ids),
                    "createdAt": row["createdAt"],
                    "updatedAt": row["updatedAt"],
                }
            )
        return out

    # ---- helpers --------------------------------------------------------------------
    def _row(self, filter_id: str) -> Row:
        return fetch(
            self.db,
            "stream_filters",
            filter_id,
            f"There is no filter '{filter_id}'.",
            "filter_not_found",
        )

    def _available(self, filter_id: str) -> Row:
        row = self._row(filter_id)
        if not row["available"]:
            raise NotFound(
                f"The filter '{filter_id}' is no longer offered.", code="filter_not_found"
            )
        return row

    def _has_unlocked(self, user_id: str, filter_id: str) -> bool:
        return (
            self.db.one(
                "SELECT id FROM filter_unlocks WHERE userId = ? AND filterId = ?",
                (user_id, filter_id),
            )
            is not None
        )

    def _viewer(self, user_id: str) -> Viewer:
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

    def _present_all(self, rows: list[Row], viewer_id: str) -> list[dict[str, Any]]:
        viewer = self._viewer(viewer_id)
        return [self._present(row, viewer) for row in rows]

    @staticmethod
    def _present(row: Row, viewer: Viewer) -> dict[str, Any]:
        premium = bool(row["premium"])
        unlocked = premium and row["id"] in viewer.unlocked
        return {
            "id": row["id"],
            "name": row["name"],
            "description": row["description"],
            "category": row["category"],
            "version": row["version"],
            "premium": premium,
            "price": row["price"],
            "tags": json.loads(row["tags"]),
            "needs": json.loads(row["needs"]),
            "parameters": json.loads(row["parameters"]),
            "featured": bool(row["featured"]),
            "usageCount": row["usageCount"],
            "favoriteCount": row["favoriteCount"],
            "rating": {"average": _average(row), "count": row["ratingCount"]},
            "favorited": row["id"] in viewer.favorites,
            "unlocked": unlocked,
            "locked": premium and not unlocked,
            "myRating": viewer.ratings.get(row["id"]),
        }
