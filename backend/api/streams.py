"""/api/streams/{stream}: everything a viewer page needs about a stream, in one public read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from backend.api.deps import AnyViewer, ServicesDep
from backend.api.responses import ok
from backend.media.server import Stream as MediaStream
from backend.realtime.presence import Presence
from backend.services.streams import LiveCheck, canonical_name, resolve_streamer, snapshot
from backend.settings import Settings
from wire.events import stream_room

router = APIRouter(prefix="/api/streams", tags=["streams"])


def _local_streams(request: Request) -> dict[str, MediaStream] | None:
    """The streams of this backend's media server (None when media goes elsewhere: then this
    backend cannot tell who is live)."""
    settings: Settings = request.app.state.settings
    if settings.media_origins:
        return None
    media = getattr(request.app.state, "media", None)
    return getattr(media, "streams", None)


def live_user_ids(request: Request) -> set[str] | None:
    """Who is publishing a stream right now (None when this backend cannot tell)."""
    streams = _local_streams(request)
    if streams is None:
        return None
    return {stream.owner_id for stream in list(streams.values()) if stream.live}


def _live_check(request: Request) -> LiveCheck | None:
    """Whether a stream has a publisher, from the media server when this backend runs one."""
    streams = _local_streams(request)
    if streams is None:
        return None

    def is_live(name: str) -> bool:
        stream = streams.get(name)
        return bool(stream is not None and stream.live)

    return is_live


@router.get("/{stream}")
async def stream_state(
    stream: str, request: Request, viewer: AnyViewer, services: ServicesDep
) -> dict[str, Any]:
    presence: Presence = request.app.state.presence
    settings: Settings = request.app.state.settings
    name = canonical_name(stream, resolve_streamer(services, stream)["username"])
    viewers = await presence.count(stream_room(name))
    return ok(snapshot(services, name, viewer.id, viewers, _live_check(request), settings.whep_url))
