"""A streamer's audience (no Qt): followers, the current live's likes, the live's title.

The backend tells the streamer's user room of every follow (``follow:followers``) and, at most
every quarter second, the live's likes (``stream:likes``); a fetch gives the numbers to start
from, and again after the event link reconnects. The title and category of the next live are
stored on the stream (``PUT /api/streams/{stream}/details``), so viewers see them on the home
page and the watch page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from studio.core.api_client import ApiClient
from studio.core.events import ServerEvent
from wire.events import Follow, Stream
from wire.social import Follower, Followers, FollowersChanged, StreamDetails, StreamLikes
from wire.streams import StreamSnapshot
from wire.users import Account

RECENT = 50  # followers listed


@dataclass
class AudienceView:
    followers: int = 0
    recent: list[Follower] = field(default_factory=list)  # newest first
    likes: int = 0
    details: StreamDetails | None = None


class Audience:
    """Follows ``user``'s own stream (named after them); ``on_change`` gets every new view."""

    def __init__(
        self, api: ApiClient, user: Account, on_change: Callable[[AudienceView], None]
    ) -> None:
        self.api = api
        self.user = user
        self.stream = user.username
        self.on_change = on_change
        self.view = AudienceView()

    def _path(self, tail: str = "") -> str:
        return f"/api/streams/{quote(self.stream, safe='')}{tail}"

    async def refresh(self) -> None:
        """Fetch the numbers (on sign-in and after the event link reconnects)."""
        page = Followers.model_validate(
            await self.api.request(
                "GET", f"/api/users/{quote(self.user.id)}/followers", params={"limit": RECENT}
            )
        )
        snapshot = StreamSnapshot.model_validate(await self.api.request("GET", self._path()))
        self.view.followers = page.total
        self.view.recent = page.followers
        self.view.likes = snapshot.likes
        self.view.details = StreamDetails(
            stream=snapshot.stream, title=snapshot.title, category=snapshot.category
        )
        self.on_change(self.view)

    async def save_details(self, title: str, category: str) -> StreamDetails:
        data = await self.api.request(
            "PUT", self._path("/details"), json={"title": title, "category": category}
        )
        self.view.details = StreamDetails.model_validate(data)
        self.on_change(self.view)
        return self.view.details

    def event(self, event: ServerEvent) -> None:
        if event.name == Follow.FOLLOWERS:
            changed = event.payload()
            assert isinstance(changed, FollowersChanged)
            if changed.streamer_id == self.user.id:
                self._followed(changed)
        elif event.name == Stream.LIKES:
            likes = event.payload()
            assert isinstance(likes, StreamLikes)
            if likes.stream.lower() == self.stream.lower():
                self.view.likes = likes.total
                self.on_change(self.view)

    def _followed(self, changed: FollowersChanged) -> None:
        self.view.followers = changed.followers
        others = [f for f in self.view.recent if f.id != changed.follower.id]
        if changed.following:
            newest = Follower(**changed.follower.model_dump(), followed_at=changed.at)
            others = [newest, *others][:RECENT]
        self.view.recent = others
        self.on_change(self.view)
