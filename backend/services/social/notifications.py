"""A signed-in user's notifications: "X went live" for each streamer they follow, kept for
``RETENTION`` (older ones are neither served nor counted, and are deleted as new ones come)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from backend.events import EventSink
from backend.services.social import presenters
from backend.services.social.store import rows_in
from backend.storage.db import Database, Row, iso, new_id, utc_now
from wire.events import Notify, user_room
from wire.social import NotificationAdded, Notifications, Unread

RETENTION = timedelta(days=7)
PAGE = 50
_SELECT = (
    "SELECT n.*, a.username AS actorUsername, a.displayName AS actorDisplayName"
    " FROM notifications n JOIN users a ON a.id = n.actorId"
)

Clock = Callable[[], datetime]


class NotificationCenter:
    def __init__(self, db: Database, events: EventSink, clock: Clock = utc_now) -> None:
        self.db = db
        self.events = events
        self.clock = clock  # tests move time forward instead of waiting a week

    def _cutoff(self) -> str:
        return iso(self.clock() - RETENTION)

    def went_live(self, streamer: Row, stream: str, title: str) -> None:
        """Tell every follower of ``streamer`` that ``stream`` is live (inside the caller's
        transaction: the events go after its commit). One row per follower, written in one
        statement however many followers there are."""
        now = iso(self.clock())
        prefix = f"{new_id()}:"
        self.db.execute("DELETE FROM notifications WHERE createdAt < ?", (self._cutoff(),))
        self.db.execute(
            "INSERT INTO notifications (id, createdAt, updatedAt, userId, kind, stream, actorId,"
            " title) SELECT ? || followerId, ?, ?, followerId, 'live', ?, ?, ? FROM follows"
            " WHERE streamerId = ?",
            (prefix, now, now, stream, streamer["id"], title, streamer["id"]),
        )
        # the prefix is hex digits, '-' and ':': nothing LIKE would read as a wildcard
        rows = self.db.all(f"{_SELECT} WHERE n.id LIKE ?", (prefix + "%",))
        unread = self._unread_of([row["userId"] for row in rows])
        for row in rows:
            added = NotificationAdded(
                notification=presenters.notification(row), unread=unread.get(row["userId"], 1)
            )
            room = user_room(row["userId"])
            self.db.after_commit(functools.partial(self.events.publish, room, Notify.ADDED, added))

    def list(self, user_id: str) -> Notifications:
        rows = self.db.all(
            f"{_SELECT} WHERE n.userId = ? AND n.createdAt >= ?"
            " ORDER BY n.createdAt DESC, n.id LIMIT ?",
            (user_id, self._cutoff(), PAGE),
        )
        return Notifications(
            unread=self.unread(user_id),
            notifications=[presenters.notification(row) for row in rows],
        )

    def unread(self, user_id: str) -> int:
        return self._unread_of([user_id]).get(user_id, 0)

    def _unread_of(self, user_ids: Sequence[str]) -> dict[str, int]:
        rows = rows_in(
            self.db,
            "SELECT userId, COUNT(*) AS n FROM notifications WHERE readAt IS NULL"
            " AND createdAt >= ? AND userId IN ({values}) GROUP BY userId",
            user_ids,
            self._cutoff(),
        )
        return {row["userId"]: int(row["n"]) for row in rows}

    def mark_read(self, user_id: str, ids: Sequence[str] | None) -> Unread:
        """Mark ``ids`` (all of the user's when None) read; the user's other pages hear the
        new count. Ids that are not the user's are ignored."""
        now = iso(self.clock())
        with self.db.transaction():
            if ids is None:
                self.db.execute(
                    "UPDATE notifications SET readAt = ?, updatedAt = ?"
                    " WHERE userId = ? AND readAt IS NULL",
                    (now, now, user_id),
                )
            elif ids:
                marks = ", ".join("?" for _ in ids)
                self.db.execute(
                    "UPDATE notifications SET readAt = ?, updatedAt = ?"
                    f" WHERE userId = ? AND readAt IS NULL AND id IN ({marks})",
                    (now, now, user_id, *ids),
                )
            news = Unread(unread=self.unread(user_id))
            self.db.after_commit(lambda: self.events.publish(user_room(user_id), Notify.READ, news))
        return news
