"""WHIP ingest (RFC 9725) and WHEP playback: SDP in, SDP out, a Location to DELETE.

``POST /whip/{stream}`` (the stream's owner, signed in) and ``POST /whep/{stream}`` (anyone
with a viewer token; ``?visibility=members`` on the WHIP URL keeps guests out) take an
``application/sdp`` offer and answer 201 with the SDP answer, ``Location`` naming the session
and one ``Link: <url>; rel="ice-server"`` per configured STUN/TURN server. ``DELETE`` on the
Location ends the session. ``PATCH`` on it with an ``application/trickle-ice-sdpfrag`` body
trickles the client's ICE candidates (RFC 9725 §4.3; 204). The answer already carries every
server candidate, so nothing trickles back; ICE restarts are refused with 422.

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
from backend.errors import DomainError, Forbidden, InvalidInput, NotFound
from backend.media.server import MediaServer, Session, StreamListener
from backend.media.trickle import TRICKLE_ICE, IceRestartUnsupported, parse_fragment
from backend.services.analytics import MediaMetrics
from backend.services.container import Services
from backend.services.webrtc import owns_stream, validate_stream_name
from backend.settings import Settings, ice_for_client

SDP = "application/sdp"
MAX_SDP_BYTES = 64 * 1024


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"


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


async def _body(request: Request, media_type: str, what: str) -> str:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != media_type:
        raise UnsupportedMediaType(f"Send the {what} as {media_type}.")
    body = await request.body()
    if len(body) > MAX_SDP_BYTES:
        raise InvalidInput(f"The {what} is too large.")
    return body.decode("utf-8", errors="replace")


async def _offer(request: Request) -> str:
    return await _body(request, SDP, "SDP offer")


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


def _created(request: Request, kind: str, stream: str, session: Session, user_id: str) -> Response:
    settings: Settings = request.app.state.settings
    links = [_ice_link(server) for server in ice_for_client(settings.ice_servers, user_id)]
    headers = {
        "Location": f"/{kind}/{stream}/{session.id}",
        "ETag": _etag(session),
        "Accept-Patch": TRICKLE_ICE,
    }
    if links:
        headers["Link"] = ", ".join(links)
    return Response(session.answer, status_code=201, media_type=SDP, headers=headers)


def _etag(session: Session) -> str:
    return f'"{session.id}"'


async def _trickle(
    request: Request, media: MediaServer, kind: str, stream: str, session_id: str, user_id: str
) -> Response:
    session = media.own_session(session_id, user_id)
    expected = "ingest" if kind == "whip" else "egress"
    if session.stream != stream or session.kind != expected:
        raise NotFound("No such media session.")
    if_match = request.headers.get("if-match")
    if if_match == "*":
        raise IceRestartUnsupported("ICE restarts are not supported: publish again instead.")
    if if_match is not None and if_match != _etag(session):
        raise PreconditionFailed("This session's ETag has changed.")
    fragment = parse_fragment(await _body(request, TRICKLE_ICE, "ICE fragment"))
    await media.trickle(session, fragment)
    return Response(status_code=204, headers={"ETag": _etag(session)})


def _ice_link(server: dict[str, str]) -> str:
    """An RFC 9725 ``Link`` to a STUN/TURN server, with its credentials when it has any."""
    link = f'<{server["urls"]}>; rel="ice-server"'
    if "username" in server:
        link += f'; username="{server["username"]}"; credential="{server["credential"]}"'
        link += '; credential-type="password"'
    return link


@router.get("/api/media/config")
async def media_config(request: Request, viewer: AnyViewer) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    return ok(
        {
            "whip": settings.whip_url_template,
            "whep": settings.whep_url_template,
            "iceServers": ice_for_client(settings.ice_servers, viewer.id),
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
    return _created(request, "whip", stream, session, user.id)


@router.delete("/whip/{stream}/{session_id}")
async def whip_stop(stream: str, session_id: str, user: CurrentUser, media: Media) -> Response:
    await media.end(session_id, user.id)
    return Response(status_code=200)


@router.patch("/whip/{stream}/{session_id}")
async def whip_trickle(
    stream: str, session_id: str, request: Request, user: CurrentUser, media: Media
) -> Response:
    return await _trickle(request, media, "whip", stream, session_id, user.id)


@router.post("/whep/{stream}")
async def whep_play(stream: str, request: Request, viewer: AnyViewer, media: Media) -> Response:
    validate_stream_name(stream)
    live = media.streams.get(stream)
    if live is not None and live.members_only and viewer.is_guest:
        raise Forbidden("Sign in to watch this stream.", code="account_required")
    with counted(_metrics(request), "egress"):
        session = await media.play(stream, viewer.id, await _offer(request))
    return _created(request, "whep", stream, session, viewer.id)


@router.delete("/whep/{stream}/{session_id}")
async def whep_stop(stream: str, session_id: str, viewer: AnyViewer, media: Media) -> Response:
    await media.end(session_id, viewer.id)
    return Response(status_code=200)


@router.patch("/whep/{stream}/{session_id}")
async def whep_trickle(
    stream: str, session_id: str, request: Request, viewer: AnyViewer, media: Media
) -> Response:
    return await _trickle(request, media, "whep", stream, session_id, viewer.id)
