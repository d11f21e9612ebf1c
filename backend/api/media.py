"""WHIP ingest (RFC 9725) and WHEP playback: SDP in, SDP out, a Location to DELETE.

``POST /whip/{stream}`` (the stream's owner, signed in) and ``POST /whep/{stream}`` (anyone
with a viewer token; ``?visibility=members`` on the WHIP URL keeps guests out) take an
``application/sdp`` offer and answer 201 with the SDP answer, ``Location`` naming the session
and one ``Link: <url>; rel="ice-server"`` per configured STUN/TURN server. ``DELETE`` on the
Location ends the session. Trickle ICE is not offered: answers carry every candidate, and
PATCH answers 405.

``GET /api/media/config`` tells clients where media goes: the WHIP and WHEP URL templates
(``{stream}`` is the stream's name; relative to this backend, or absolute for a dedicated media
node or an external WHIP/WHEP server) and the STUN/TURN servers to use.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response

from backend.api.deps import AnyViewer, CurrentUser
from backend.api.responses import ok
from backend.errors import DomainError, Forbidden, InvalidInput
from backend.media.server import MediaServer, Session, StreamListener
from backend.services.analytics import MediaMetrics
from backend.services.container import Services
from backend.services.webrtc import owns_stream, validate_stream_name
from backend.settings import Settings

SDP = "application/sdp"
MAX_SDP_BYTES = 64 * 1024


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


@contextlib.asynccontextmanager
async def media_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One media server per app; closing the app ends every session."""
    settings: Settings = app.state.settings
    app.state.media = MediaServer(settings.ice_servers, listener=_listener(app))
    try:
        yield
    finally:
        await app.state.media.close()


def _listener(app: FastAPI) -> StreamListener:
    def on_stream(stream: str, live: bool) -> None:
        webrtc = getattr(app.state, "webrtc", None)
        if webrtc is not None:
            webrtc.stream_changed(stream, live)

    return on_stream


router = APIRouter(tags=["media"], lifespan=media_lifespan)


async def get_media(request: Request) -> MediaServer:
    media: MediaServer = request.app.state.media
    return media


Media = Annotated[MediaServer, Depends(get_media)]


async def _offer(request: Request) -> str:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != SDP:
        raise UnsupportedMediaType(f"Send the SDP offer as {SDP}.")
    body = await request.body()
    if len(body) > MAX_SDP_BYTES:
        raise InvalidInput("The SDP offer is too large.")
    return body.decode("utf-8", errors="replace")


def _metrics(request: Request) -> MediaMetrics:
    services: Services = request.app.state.services
    return services.analytics.media


@contextlib.contextmanager
def counted(metrics: MediaMetrics, kind: str) -> Iterator[None]:
    """Count one connection attempt of ``kind`` as a success unless it raises."""
    try:
        yield
    except Exception:
        metrics.connection(kind, succeeded=False)
        raise
    metrics.connection(kind, succeeded=True)


def _created(request: Request, kind: str, stream: str, session: Session) -> Response:
    settings: Settings = request.app.state.settings
    links = [f'<{s.urls}>; rel="ice-server"' for s in settings.ice_servers]
    headers = {"Location": f"/{kind}/{stream}/{session.id}", "ETag": f'"{session.id}"'}
    if links:
        headers["Link"] = ", ".join(links)
    return Response(session.answer, status_code=201, media_type=SDP, headers=headers)


@router.get("/api/media/config")
async def media_config(request: Request, viewer: AnyViewer) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    return ok(
        {
            "whip": settings.whip_url_template,
            "whep": settings.whep_url_template,
            "iceServers": [server.as_dict() for server in settings.ice_servers],
        }
    )


@router.post("/whip/{stream}")
async def whip_publish(
    stream: str,
    request: Request,
    user: CurrentUser,
    media: Media,
    visibility: Annotated[Literal["public", "members"], Query()] = "public",
) -> Response:
    validate_stream_name(stream)
    if not owns_stream(stream, user.username):
        raise Forbidden(f"You may only publish to your own streams ({user.username}, ...).")
    metrics = _metrics(request)
    if stream in media.streams:
        metrics.reconnection("ingest")
    with counted(metrics, "ingest"):
        session = await media.publish(stream, user.id, await _offer(request))
    media.streams[stream].members_only = visibility == "members"
    return _created(request, "whip", stream, session)


@router.delete("/whip/{stream}/{session_id}")
async def whip_stop(stream: str, session_id: str, user: CurrentUser, media: Media) -> Response:
    await media.end(session_id, user.id)
    return Response(status_code=200)


@router.post("/whep/{stream}")
async def whep_play(stream: str, request: Request, viewer: AnyViewer, media: Media) -> Response:
    validate_stream_name(stream)
    live = media.streams.get(stream)
    if live is not None and live.members_only and viewer.is_guest:
        raise Forbidden("Sign in to watch this stream.", code="account_required")
    with counted(_metrics(request), "egress"):
        session = await media.play(stream, viewer.id, await _offer(request))
    return _created(request, "whep", stream, session)


@router.delete("/whep/{stream}/{session_id}")
async def whep_stop(stream: str, session_id: str, viewer: AnyViewer, media: Media) -> Response:
    await media.end(session_id, viewer.id)
    return Response(status_code=200)
