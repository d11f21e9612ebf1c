"""Schema of following, notifications, likes and each stream's title (issue 18).

``follows`` ties a follower to a streamer (both accounts). ``stream_details`` holds what a
streamer sets on a stream (title, category) and what the server notes about it: when its
current live began (``liveSince``, null while offline), when it was last live, and the current
live's likes. A stream is named as in ``/whip/{stream}`` (canonical: the owner spelled as
registered). ``notifications`` are kept for a week.
"""

from __future__ import annotations

from backend.storage.schema import STAMPS, Migration

MIGRATIONS: list[Migration] = [
    (
        "social-001",
        [
            """CREATE TABLE follows (
            followerId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            streamerId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            createdAt TEXT NOT NULL,
            PRIMARY KEY (followerId, streamerId))""",
            "CREATE INDEX follows_streamer ON follows(streamerId, createdAt)",
            """CREATE TABLE stream_details (
            stream TEXT PRIMARY KEY,
            ownerId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            title TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL DEFAULT '',
            likes INTEGER NOT NULL DEFAULT 0,
            liveSince TEXT,
            lastLiveAt TEXT,
            updatedAt TEXT NOT NULL)""",
            "CREATE INDEX stream_details_owner ON stream_details(ownerId)",
            f"""CREATE TABLE notifications ({STAMPS},
            userId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            stream TEXT NOT NULL,
            actorId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            title TEXT NOT NULL DEFAULT '',
            readAt TEXT)""",
            "CREATE INDEX notifications_user ON notifications(userId, createdAt)",
            "CREATE INDEX notifications_created ON notifications(createdAt)",
        ],
    )
]
