"""The home page's listing: who is live now and the followed streamers who are not.

The media server knows who is live and the presence who is watching; the API layer hands both
in as :class:`OnAir` entries, and this adds the names, titles, follower counts and what is on
(a PK battle, co-hosting, a shop, a flash sale). Live streams the viewer follows come first,
then the most watched.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from backend.services.social import presenters, store
from backend.services.social.lives import default_title
from backend.storage.db import Database, Row, utc_now
from wire.social import Badge, Discover, LiveStream, OfflineStreamer

MAX_QUERY = 64
OFFLINE_LIMIT = 30

# Which streamers (of a set) have each badge on now.
_BADGE_QUERIES: dict[Badge, str] = {
    "pk": "SELECT host1Id AS userId FROM pk_battles WHERE status = 'active'"
    " AND host1Id IN ({values}) UNION SELECT host2Id FROM pk_battles WHERE status = 'active'"
    " AND host2Id IN ({values})",
    "cohost": "SELECT h.userId FROM multihost_hosts h JOIN multihost_sessions s"
    " ON s.id = h.sessionId WHERE h.status = 'active' AND s.status = 'live'"
    " AND h.userId IN ({values})",
    "shopping": "SELECT sellerId AS userId FROM shopping_sessions WHERE status = 'live'"
    " AND sellerId IN ({values})",
    "flash-sale": "SELECT s.sellerId AS userId FROM shopping_products p JOIN shopping_sessions s"
    " ON s.id = p.sessionId WHERE s.status = 'live' AND p.flashStatus = 'active'"
    " AND s.sellerId IN ({values})",
}


@dataclass(frozen=True)
class OnAir:
    """A stream with a publisher now, and how many watch it."""

    stream: str
    owner_id: str
    viewers: int
    still_url: str | None = None  # where a recent frame of it is served, if anywhere


class Discovery:
    def __init__(self, db: Database) -> None:
        self.db = db

    def discover(
        self,
        viewer_id: str,
        on_air: Sequence[OnAir] | None,
        query: str = "",
    ) -> Discover:
        """``on_air`` is None when this backend cannot tell who is live."""
        query = " ".join(query.split())[:MAX_QUERY].lower()
        followed = store.followed_by(self.db, viewer_id)
        live = self._live(on_air or (), followed, query)
        live_owners = {card.streamer.id for card in live}
        return Discover(
            live=live,
            offline=self._offline(viewer_id, followed, live_owners, query),
            live_known=on_air is not None,
            server_time=utc_now(),
        )

    def _live(self, on_air: Sequence[OnAir], followed: set[str], query: str) -> list[LiveStream]:
        owners = {entry.owner_id for entry in on_air}
        users = self._users(owners)
        matching = [
            entry
            for entry in on_air
            if entry.owner_id in users and _matches(users[entry.owner_id], entry.stream, query)
        ]
        details = self._details([entry.stream for entry in matching])
        followers = store.follower_counts(self.db, owners)
        badges = self._badges(owners)
        cards = [
            LiveStream(
                stream=entry.stream,
                streamer=presenters.card(users[entry.owner_id]),
                title=_title(details.get(entry.stream), users[entry.owner_id]),
                category=(details.get(entry.stream) or {}).get("category", ""),
                viewer_count=entry.viewers,
                followers=followers[entry.owner_id],
                following=entry.owner_id in followed,
                likes=int((details.get(entry.stream) or {}).get("likes", 0)),
                live_since=presenters.optional_time(
                    (details.get(entry.stream) or {}).get("liveSince")
                ),
                still_url=entry.still_url,
                badges=[badge for badge in _BADGE_QUERIES if entry.owner_id in badges[badge]],
            )
            for entry in matching
        ]
        cards.sort(key=lambda card: (not card.following, -card.viewer_count, card.stream))
        return cards

    def _offline(
        self, viewer_id: str, followed: set[str], live_owners: set[str], query: str
    ) -> list[OfflineStreamer]:
        """Followed streamers not live; with a query, anyone matching it who is not live."""
        if query:
            rows = self.db.all(
                f"SELECT {store.USER_COLUMNS} FROM users u WHERE u.role != 'guest'"
                " AND (LOWER(u.username) LIKE :p ESCAPE '\\'"
                " OR LOWER(u.displayName) LIKE :p ESCAPE '\\') AND u.id != :me"
                " ORDER BY u.username LIMIT :limit",
                {"p": store.name_pattern(query), "me": viewer_id, "limit": OFFLINE_LIMIT * 2},
            )
        else:
            rows = list(self._users(followed).values())
        rows = [row for row in rows if row["id"] not in live_owners]
        ids = [row["id"] for row in rows]
        last_lives = self._last_lives(ids)
        followers = store.follower_counts(self.db, ids)
        offline = [
            OfflineStreamer(
                streamer=presenters.card(row),
                stream=last_lives.get(row["id"], (row["username"], None))[0],
                followers=followers[row["id"]],
                following=row["id"] in followed,
                last_live_at=presenters.optional_time(last_lives.get(row["id"], ("", None))[1]),
            )
            for row in rows
        ]
        offline.sort(
            key=lambda s: (not s.following, -(s.last_live_at.timestamp() if s.last_live_at else 0))
        )
        return offline[:OFFLINE_LIMIT]

    def _users(self, ids: Collection[str]) -> dict[str, Row]:
        sql = f"SELECT {store.USER_COLUMNS} FROM users u WHERE u.id IN ({{values}})"
        return {row["id"]: row for row in store.rows_in(self.db, sql, ids)}

    def _details(self, streams: Collection[str]) -> dict[str, Row]:
        sql = "SELECT * FROM stream_details WHERE stream IN ({values})"
        return {row["stream"]: row for row in store.rows_in(self.db, sql, streams)}

    def _last_lives(self, owner_ids: Collection[str]) -> dict[str, tuple[str, str | None]]:
        """Each owner's most recently live stream and when it last was."""
        rows = store.rows_in(
            self.db,
            "SELECT ownerId, stream, lastLiveAt FROM stream_details"
            " WHERE lastLiveAt IS NOT NULL AND ownerId IN ({values}) ORDER BY lastLiveAt",
            owner_ids,
        )
        return {row["ownerId"]: (row["stream"], row["lastLiveAt"]) for row in rows}

    def _badges(self, owner_ids: Collection[str]) -> dict[Badge, set[str]]:
        return {
            badge: {row["userId"] for row in store.rows_in(self.db, sql, owner_ids)}
            for badge, sql in _BADGE_QUERIES.items()
        }


def _matches(user: Row, stream: str, query: str) -> bool:
    if not query:
        return True
    names = (user["username"], user["displayName"] or "", stream)
    return any(query in name.lower() for name in names)


def _title(details: Row | None, streamer: Row) -> str:
    return (details or {}).get("title") or default_title(streamer)
