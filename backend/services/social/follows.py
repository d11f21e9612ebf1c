"""Following a streamer: follow and unfollow (both idempotent), counts, profiles, a streamer's
followers. The streamer's studio hears each change in their user room."""

from __future__ import annotations

from backend.errors import Forbidden, InvalidInput
from backend.events import EventSink
from backend.services.social import presenters, store
from backend.storage.db import Database, now_iso, utc_now
from wire.events import Follow, user_room
from wire.social import Followers, FollowersChanged, FollowState, Profile

MAX_PAGE = 100


class Follows:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    def follow(self, follower_id: str, streamer_id: str) -> FollowState:
        """Follow ``streamer_id``; following again changes nothing."""
        return self._change(follower_id, streamer_id, following=True)

    def unfollow(self, follower_id: str, streamer_id: str) -> FollowState:
        """Stop following; unfollowing someone not followed changes nothing."""
        return self._change(follower_id, streamer_id, following=False)

    def _change(self, follower_id: str, streamer_id: str, *, following: bool) -> FollowState:
        if follower_id == streamer_id:
            raise InvalidInput("You cannot follow yourself.", code="cannot_follow_self")
        with self.db.transaction():
            streamer = store.user_row(self.db, streamer_id)
            if following:
                changed = self.db.execute(
                    "INSERT INTO follows (followerId, streamerId, createdAt) VALUES (?, ?, ?)"
                    " ON CONFLICT (followerId, streamerId) DO NOTHING",
                    (follower_id, streamer_id, now_iso()),
                )
            else:
                changed = self.db.execute(
                    "DELETE FROM follows WHERE followerId = ? AND streamerId = ?",
                    (follower_id, streamer_id),
                )
            followers = store.follower_counts(self.db, [streamer_id])[streamer_id]
            if changed:
                news = FollowersChanged(
                    streamer_id=streamer_id,
                    followers=followers,
                    follower=presenters.card(store.user_row(self.db, follower_id)),
                    following=following,
                    at=utc_now(),
                )
                self.db.after_commit(
                    lambda: self.events.publish(user_room(streamer_id), Follow.FOLLOWERS, news)
                )
        return FollowState(
            streamer=presenters.card(streamer), following=following, followers=followers
        )

    def follower_count(self, streamer_id: str) -> int:
        return store.follower_counts(self.db, [streamer_id])[streamer_id]

    def is_following(self, follower_id: str, streamer_id: str) -> bool:
        return store.is_following(self.db, follower_id, streamer_id)

    def profile(self, user_id: str, viewer_id: str) -> Profile:
        user = store.user_row(self.db, user_id)
        following_count = self.db.scalar(
            "SELECT COUNT(*) FROM follows WHERE followerId = ?", (user_id,)
        )
        last_live = self.db.scalar(
            "SELECT MAX(lastLiveAt) FROM stream_details WHERE ownerId = ?", (user_id,)
        )
        return Profile(
            **presenters.card(user).model_dump(),
            followers=store.follower_counts(self.db, [user_id])[user_id],
            following_count=int(following_count or 0),
            following=store.is_following(self.db, viewer_id, user_id),
            last_live_at=presenters.optional_time(last_live),
        )

    def followers(self, streamer_id: str, caller_id: str, limit: int, offset: int) -> Followers:
        """A page of the streamer's followers, newest first: only the streamer may read it."""
        if caller_id != streamer_id:
            raise Forbidden("Only the streamer sees who follows them.", code="not_your_followers")
        store.user_row(self.db, streamer_id)
        rows = self.db.all(
            f"SELECT {store.USER_COLUMNS}, f.createdAt AS followedAt FROM follows f"
            " JOIN users u ON u.id = f.followerId WHERE f.streamerId = ?"
            " ORDER BY f.createdAt DESC, u.username LIMIT ? OFFSET ?",
            (streamer_id, min(max(limit, 1), MAX_PAGE), max(offset, 0)),
        )
        return Followers(
            total=store.follower_counts(self.db, [streamer_id])[streamer_id],
            followers=[presenters.follower(row) for row in rows],
        )
