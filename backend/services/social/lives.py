"""A stream's lives: the title and category its streamer sets, when it went live and when it
was last live, and telling followers when a new live starts.

The media server says when a stream gains or loses its publisher. A publisher that comes back
within ``RECONNECT_GRACE`` of dropping continues the same live (its likes, no new
notifications); later, it is a new live.
"""

from __future__ import annotations

from datetime import timedelta

from backend.errors import Forbidden, InvalidInput
from backend.services.social.notifications import Clock, NotificationCenter
from backend.services.social.store import user_row
from backend.storage.db import Database, Row, iso, parse_iso, utc_now
from wire.social import CATEGORIES, MAX_TITLE, StreamDetails

RECONNECT_GRACE = timedelta(minutes=2)


def default_title(streamer: Row) -> str:
    return f"Live with {streamer['displayName'] or streamer['username']}"


class Lives:
    def __init__(
        self, db: Database, notifications: NotificationCenter, clock: Clock = utc_now
    ) -> None:
        self.db = db
        self.notifications = notifications
        self.clock = clock

    def row(self, stream: str) -> Row | None:
        return self.db.one("SELECT * FROM stream_details WHERE stream = ?", (stream,))

    def details(self, stream: str) -> StreamDetails:
        row = self.row(stream)
        return StreamDetails(
            stream=stream,
            title=row["title"] if row else "",
            category=row["category"] if row else "",
        )

    def set_details(
        self, stream: str, owner_id: str, caller_id: str, title: str, category: str
    ) -> StreamDetails:
        """The streamer names their stream's live (before going live, or during it)."""
        if caller_id != owner_id:
            raise Forbidden("Only the streamer sets this stream's title.", code="not_your_stream")
        title = " ".join(title.split())
        if len(title) > MAX_TITLE:
            raise InvalidInput(
                f"Keep the title to {MAX_TITLE} characters (it has {len(title)}).",
                code="title_too_long",
            )
        if category and category not in CATEGORIES:
            raise InvalidInput(
                f"Pick a category from the list: {', '.join(CATEGORIES)} (or none).",
                code="unknown_category",
            )
        now = iso(self.clock())
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO stream_details (stream, ownerId, title, category, updatedAt)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (stream) DO UPDATE SET"
                " title = excluded.title, category = excluded.category,"
                " updatedAt = excluded.updatedAt",
                (stream, owner_id, title, category, now),
            )
        return StreamDetails(stream=stream, title=title, category=category)

    def started(self, stream: str, owner_id: str) -> None:
        """``stream`` has a publisher: a new live, unless it is the same one coming back."""
        now = self.clock()
        with self.db.transaction():
            row = self.row(stream)
            if row is not None and row["liveSince"] is not None:
                return  # a publisher replaced another: the same live
            last = parse_iso(row["lastLiveAt"]) if row and row["lastLiveAt"] else None
            resumed = last is not None and now - last <= RECONNECT_GRACE
            likes = row["likes"] if row and resumed else 0  # a new live starts from none
            self.db.execute(
                "INSERT INTO stream_details (stream, ownerId, likes, liveSince, updatedAt)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (stream) DO UPDATE SET"
                " likes = excluded.likes, liveSince = excluded.liveSince,"
                " updatedAt = excluded.updatedAt",
                (stream, owner_id, likes, iso(now), iso(now)),
            )
            if not resumed:
                streamer = user_row(self.db, owner_id)
                title = (row["title"] if row else "") or default_title(streamer)
                self.notifications.went_live(streamer, stream, title)

    def ended(self, stream: str) -> None:
        now = iso(self.clock())
        with self.db.transaction():
            self.db.execute(
                "UPDATE stream_details SET liveSince = NULL, lastLiveAt = ?, updatedAt = ?"
                " WHERE stream = ?",
                (now, now, stream),
            )
