"""Following, notifications, likes, a stream's title and the home page's listing (issue 18).

- ``POST/DELETE /api/users/{id}/follow``: follow or stop following a streamer (idempotent);
  ``GET /api/users/{id}``: a profile with follower counts; ``GET /api/users/{id}/followers``:
  a streamer's own followers.
- ``GET /api/notifications``, ``POST /api/notifications/read``: the last week's "X went live".
- ``GET/PUT /api/streams/{stream}/details``: the title and category of a stream's live.
- ``POST /api/streams/{stream}/likes``: a batch of taps (an account's);
  ``GET /api/streams/{stream}/still``: a recent frame of a live stream (JPEG) for the home page.
- ``GET /api/discover?q=``: who is live now and the followed streamers who are not.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, ServicesDep
from backend.api.media import Media, held_elsewhere
from backend.api.models import Body
from backend.api.responses import ok
from backend.api.streams import known_offline, local_streams, media_router
from backend.errors import Conflict, NotFound
from backend.media.stills import Stills
from backend.realtime.presence import Presence
from backend.services.container import Services
from backend.services.social.discover import OnAir
from backend.services.social.notifications import PAGE
from backend.services.streams import canonical_name, resolve_streamer
from backend.storage.db import Row
from wire.base import Ok
from wire.events import stream_room
from wire.social import (
    MAX_LIKES_PER_REQUEST,
    MAX_TITLE,
    Discover,
    Followers,
    FollowState,
    LikesAccepted,
    Notifications,
    Profile,
    StreamDetails,
    Unread,
)

router = APIRouter(tags=["social"])


class LikeBody(Body):
    count: int = Field(default=1, ge=1, le=MAX_LIKES_PER_REQUEST)


class DetailsBody(Body):
    title: str = Field(default="", max_length=MAX_TITLE * 2)  # the service says how long
    category: str = Field(default="", max_length=64)


class ReadBody(Body):
    ids: list[str] | None = Field(default=None, max_length=PAGE * 2)  # none: all of them


# ---- following ---------------------------------------------------------------------------
@router.post("/api/users/{user_id}/follow")
async def follow(user_id: str, user: CurrentUser, services: ServicesDep) -> Ok[FollowState]:
    return ok(services.social.follows.follow(user.id, user_id))


@router.delete("/api/users/{user_id}/follow")
async def unfollow(user_id: str, user: CurrentUser, services: ServicesDep) -> Ok[FollowState]:
    return ok(services.social.follows.unfollow(user.id, user_id))


@router.get("/api/users/{user_id}")
async def profile(user_id: str, viewer: AnyViewer, services: ServicesDep) -> Ok[Profile]:
    return ok(services.social.follows.profile(user_id, viewer.id))


@router.get("/api/users/{user_id}/followers")
async def followers(
    user_id: str,
    user: CurrentUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Ok[Followers]:
    return ok(services.social.follows.followers(user_id, user.id, limit, offset))


# ---- notifications -----------------------------------------------------------------------
@router.get("/api/notifications")
async def notifications(user: CurrentUser, services: ServicesDep) -> Ok[Notifications]:
    return ok(services.social.notifications.list(user.id))


@router.post("/api/notifications/read")
async def mark_read(body: ReadBody, user: CurrentUser, services: ServicesDep) -> Ok[Unread]:
    return ok(services.social.notifications.mark_read(user.id, body.ids))


# ---- a stream's live: details, likes, stills ---------------------------------------------
def _stream(services: Services, stream: str) -> tuple[str, Row]:
    """The stream's canonical name and its streamer."""
    streamer = resolve_streamer(services, stream)
    return canonical_name(stream, streamer["username"]), streamer


@router.get("/api/streams/{stream}/details")
async def stream_details(
    stream: str, viewer: AnyViewer, services: ServicesDep
) -> Ok[StreamDetails]:
    name, _ = _stream(services, stream)
    return ok(services.social.lives.details(name))


@router.put("/api/streams/{stream}/details")
async def set_stream_details(
    stream: str, body: DetailsBody, user: CurrentUser, services: ServicesDep
) -> Ok[StreamDetails]:
    name, streamer = _stream(services, stream)
    lives = services.social.lives
    return ok(lives.set_details(name, streamer["id"], user.id, body.title, body.category))


@router.post("/api/streams/{stream}/likes")
async def like(
    stream: str, body: LikeBody, request: Request, user: CurrentUser, services: ServicesDep
) -> Ok[LikesAccepted]:
    name, streamer = _stream(services, stream)
    if known_offline(request, name):
        raise Conflict("Likes count while the stream is live.", code="stream_offline")
    return ok(await services.social.likes.like(name, streamer["id"], user.id, body.count))


@router.get("/api/streams/{stream}/still", response_class=Response)
async def still(stream: str, request: Request, media: Media) -> Response:
    """A recent frame of a live stream, public like the home page (a members-only stream has
    none: guests may not see it). Another node's stream: that node's answer."""
    if forwarded := await held_elsewhere(request, media, stream):
        return forwarded
    streams = local_streams(request) or {}
    stills: Stills | None = getattr(request.app.state, "stills", None)
    live = streams.get(stream)
    image = stills.image(stream) if stills and live and not live.members_only else None
    if image is None:
        raise NotFound("This stream has no picture yet.", code="no_still")
    return Response(image, media_type="image/jpeg", headers={"Cache-Control": "no-cache"})


# ---- the home page -----------------------------------------------------------------------
@router.get("/api/discover")
async def discover(
    request: Request,
    viewer: AnyViewer,
    services: ServicesDep,
    q: Annotated[str, Query(max_length=64)] = "",
) -> Ok[Discover]:
    return ok(services.social.discovery.discover(viewer.id, await _on_air(request), q))


async def _on_air(request: Request) -> list[OnAir] | None:
    """Every live stream of this backend's media server and of the other nodes', and its
    viewers (None: media goes elsewhere, so this backend cannot tell)."""
    streams = local_streams(request)
    if streams is None:
        return None
    presence: Presence = request.app.state.presence
    stills: Stills = request.app.state.stills
    live = [
        (s.name, s.owner_id, stills.image(s.name) is not None and not s.members_only)
        for s in list(streams.values())
        if s.live
    ]
    router = media_router(request)
    if router is not None:
        held = router.nodes.live_streams()
        here = router.nodes.id
        live += [
            (s.stream, s.owner_id, s.has_still and not s.members_only)
            for s in held
            if s.node_id != here
        ]
    return [
        OnAir(
            stream=name,
            owner_id=owner_id,
            viewers=await presence.count(stream_room(name)),
            still_url=f"/api/streams/{quote(name, safe='')}/still" if shown else None,
        )
        for name, owner_id, shown in live
    ]
