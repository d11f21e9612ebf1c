"""/api/streams/{stream}: everything a viewer page needs about a stream, in one public read."""

from __future__ import annotations

from fastapi import APIRouter, Request

from backend.api.deps import AnyViewer, ServicesDep
from backend.api.media_routing import MediaRouter
from backend.api.responses import ok
from backend.media.server import Stream as MediaStream
from backend.realtime.presence import Presence
from backend.services.streams import LiveCheck, canonical_name, resolve_streamer, snapshot
from backend.settings import Settings
from wire.base import Ok
from wire.events import stream_room
from wire.streams import StreamSnapshot

router = APIRouter(prefix="/api/streams", tags=["streams"])


def local_streams(request: Request) -> dict[str, MediaStream] | None:
    """The streams of this backend's media server (None when media goes elsewhere: then this
    backend cannot tell who is live)."""
    settings: Settings = request.app.state.settings
    if settings.media_origins:
        return None
    media = getattr(request.app.state, "media", None)
    return getattr(media, "streams", None)


def known_offline(request: Request, stream: str) -> bool:
    """True when this backend's media server tells that ``stream`` (any spelling) has no
    publisher, here or on another node; False when it is live or this backend cannot tell."""
    is_live = live_check(request)
    return is_live is not None and not is_live(stream)


def media_router(request: Request) -> MediaRouter | None:
    """What routes media requests to other nodes (None: this backend is the only one)."""
    router: MediaRouter | None = getattr(request.app.state, "media_router", None)
    return router


def live_user_ids(request: Request) -> set[str] | None:
    """Who is publishing a stream right now (None when this backend cannot tell)."""
    streams = local_streams(request)
    if streams is None:
        return None
    here = {stream.owner_id for stream in list(streams.values()) if stream.live}
    router = media_router(request)
    return here if router is None else here | router.nodes.live_owners()  # and other nodes'


def live_check(request: Request) -> LiveCheck | None:
    """Whether a stream (any spelling of its name) has a publisher, here or on another node;
    None when media goes elsewhere and this backend cannot tell."""
    streams = local_streams(request)
    if streams is None:
        return None
    router = media_router(request)

    def is_live(name: str) -> bool:
        here = list(streams.values())
        if any(s.live and s.name.lower() == name.lower() for s in here):
            return True
        return router is not None and router.nodes.holder(name) is not None  # another node's

    return is_live


@router.get("/{stream}")
async def stream_state(
    stream: str, request: Request, viewer: AnyViewer, services: ServicesDep
) -> Ok[StreamSnapshot]:
    presence: Presence = request.app.state.presence
    settings: Settings = request.app.state.settings
    name = canonical_name(stream, resolve_streamer(services, stream)["username"])
    viewers = await presence.count(stream_room(name))
    return ok(snapshot(services, name, viewer.id, viewers, live_check(request), settings.whep_url))
