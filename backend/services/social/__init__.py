"""Viewers coming back (issue 18): following streamers, "X went live" notifications, likes,
each stream's title and category, and the home page's listing of who is live.

- ``follows``: follow and unfollow, profiles, a streamer's followers;
- ``notifications``: a user's notifications, kept for a week;
- ``lives``: a stream's title and category, its lives starting and ending (which notifies);
- ``likes``: the per-viewer rate and the per-stream batching of likes;
- ``discover``: who is live, followed first, and the followed who are not;
- ``store`` (shared lookups), ``presenters`` (rows → wire models).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.events import EventSink
from backend.services.social.discover import Discovery
from backend.services.social.follows import Follows
from backend.services.social.likes import LikeRate, Likes
from backend.services.social.lives import Lives
from backend.services.social.notifications import NotificationCenter
from backend.storage.db import Database


@dataclass(frozen=True)
class Social:
    follows: Follows
    notifications: NotificationCenter
    lives: Lives
    likes: Likes
    discovery: Discovery

    @classmethod
    def build(cls, db: Database, events: EventSink, like_rate: LikeRate | None = None) -> Social:
        notifications = NotificationCenter(db, events)
        return cls(
            follows=Follows(db, events),
            notifications=notifications,
            lives=Lives(db, notifications),
            likes=Likes(db, events, like_rate),
            discovery=Discovery(db),
        )
