"""Following streamers, "X went live" notifications, likes and the home page's listing.

A follow ties a viewer's account to a streamer's account; a notification is kept for a week;
likes are tapped on the watch page, sent in batches and added up by the server, which tells a
stream's room the new total at most once per ``LIKES_INTERVAL``.
"""

from __future__ import annotations

from typing import Literal

from wire.base import Timestamp, WireModel
from wire.events import Follow, Notify, Stream
from wire.users import UserCard

LIKES_INTERVAL = 0.25  # seconds: the likes of a stream are announced at most this often
MAX_LIKES_PER_REQUEST = 100
MAX_TITLE = 100
CATEGORIES = (
    "Just chatting",
    "Music",
    "Gaming",
    "Shopping",
    "Beauty",
    "Food",
    "Sports",
    "Education",
    "Art",
    "Travel",
)
"""What a live is about; a stream may also have none ("")."""

Badge = Literal["pk", "cohost", "shopping", "flash-sale"]


class FollowState(WireModel):
    """``POST/DELETE /api/users/{id}/follow``: whether the caller follows the streamer now."""

    streamer: UserCard
    following: bool
    followers: int


class Profile(UserCard):
    """``GET /api/users/{id}``: a user's public card with their follower counts."""

    followers: int
    following_count: int
    following: bool  # whether the caller follows them
    last_live_at: Timestamp | None


class Follower(UserCard):
    followed_at: Timestamp


class Followers(WireModel):
    """``GET /api/users/{id}/followers``: a streamer's followers, newest first (a page)."""

    total: int
    followers: list[Follower]


class FollowersChanged(WireModel):
    """To the streamer's user room when someone follows (``following``) or unfollows."""

    streamer_id: str
    followers: int
    follower: UserCard
    following: bool
    at: Timestamp


class StreamDetails(WireModel):
    """``PUT /api/streams/{stream}/details``: what the streamer's next (or current) live is
    called and about; shown on the home page and the watch page."""

    stream: str
    title: str
    category: str


class Notification(WireModel):
    """Something for one signed-in user; ``live``: a followed streamer went live."""

    id: str
    kind: Literal["live"]
    stream: str
    streamer: UserCard
    title: str
    created_at: Timestamp
    read: bool


class Notifications(WireModel):
    """``GET /api/notifications``: the last week's, newest first, and how many are unread."""

    unread: int
    notifications: list[Notification]


class NotificationAdded(WireModel):
    """To the user's room as it happens."""

    notification: Notification
    unread: int


class Unread(WireModel):
    """The unread count after marking read (also sent to the user's other pages)."""

    unread: int


class LikesAccepted(WireModel):
    """``POST /api/streams/{stream}/likes``: how many of the taps counted (the rest were over
    the viewer's rate) and the stream's total as the server knows it now."""

    stream: str
    accepted: int
    total: int


class StreamLikes(WireModel):
    """To the stream's room and its streamer: the live's likes so far, at most once per
    ``LIKES_INTERVAL`` however many taps came in."""

    stream: str
    total: int
    added: int


class LiveStream(WireModel):
    """One card of the home page's "live now"."""

    stream: str
    streamer: UserCard
    title: str
    category: str
    viewer_count: int
    followers: int
    following: bool
    likes: int
    live_since: Timestamp | None
    still_url: str | None  # a recent frame of the stream (JPEG), when the server has one
    badges: list[Badge]


class OfflineStreamer(WireModel):
    """A followed (or searched-for) streamer who is not live, and when they last were."""

    streamer: UserCard
    stream: str
    followers: int
    following: bool
    last_live_at: Timestamp | None


class Discover(WireModel):
    """``GET /api/discover?q=``: who is live (followed first, then by viewers) and the
    followed streamers who are not; with ``q``, only names matching it (offline too)."""

    live: list[LiveStream]
    offline: list[OfflineStreamer]
    live_known: bool  # false when this backend cannot tell who is live (media elsewhere)
    server_time: Timestamp


EVENTS: dict[str, type[WireModel]] = {
    Follow.FOLLOWERS: FollowersChanged,
    Notify.ADDED: NotificationAdded,
    Notify.READ: Unread,
    Stream.LIKES: StreamLikes,
}
