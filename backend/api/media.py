"""WHIP ingest (RFC 9725) and WHEP playback: SDP in, SDP out, a Location to DELETE.

``POST /whip/{stream}`` (the stream's owner, signed in, or a stream key of that stream:
what OBS, FFmpeg and GStreamer send as their bearer token) and ``POST /whep/{stream}`` (anyone
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

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response

from backend.api.deps import AnyViewer, ServicesDep, bearer_token, signed_in
from backend.api.media_routing import MediaRouter
from backend.api.responses import ok
from backend.errors import DomainError, Forbidden, InvalidInput, NotFound
from backend.media.nodes import MediaNodes
from backend.media.server import MediaServer, Session, StreamListener
from backend.media.server import Stream as MediaStream
from backend.media.stills import Stills
from backend.media.trickle import TRICKLE_ICE, IceRestartUnsupported, parse_fragment
from backend.realtime.tasks import cancel_all
from backend.services.analytics import MediaMetrics
from backend.services.container import Services
from backend.services.stream_keys import is_stream_key
from backend.services.streams import canonical_name, resolve_streamer
from backend.services.webrtc import owns_stream, validate_stream_name
from backend.settings import Settings, ice_for_client
from wire.base import Ok
from wire.media import IceServer, MediaConfig

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
    """One media server per app; closing the app ends every session. On a shared PostgreSQL
    database (several nodes) the node records the streams its SFU holds and beats."""
    settings: Settings = app.state.settings
    services: Services = app.state.services
    app.state.stills = Stills()
    app.state.media_router = None
    beating: list[asyncio.Task[None]] = []
    if settings.database_url:
        nodes = MediaNodes(services.db, settings.advertised_node_url, settings.node_ttl_seconds)
        app.state.media_router = MediaRouter(nodes)
        # Other nodes' home pages show a still of a stream once its holder has one.
        app.state.stills.first_taken = lambda name: services.db.call_later(
            0, nodes.still_taken, name
        )
        beating.append(asyncio.create_task(nodes.keep_beating(_released(app))))
    app.state.media = MediaServer(settings.ice_servers, _listener(app), services.db.serve)
    try:
        yield
    finally:
        await cancel_all(beating)
        await app.state.media.close()
        app.state.stills.close()
        if app.state.media_router is not None:
            await app.state.media_router.close()
            await services.db.off_loop(app.state.media_router.nodes.leave)


def _listener(app: FastAPI) -> StreamListener:
    def on_stream(stream: str, live: bool) -> None:
        webrtc = getattr(app.state, "webrtc", None)
        if webrtc is not None:
            webrtc.stream_changed(stream, live)
        router: MediaRouter | None = app.state.media_router
        if router is not None:
            _record_holder(router.nodes, app.state.media.streams.get(stream), stream, live)
        _note_live(app, stream, live)

    return on_stream


def _record_holder(nodes: MediaNodes, held: MediaStream | None, stream: str, live: bool) -> None:
    if live and held is not None:
        nodes.claim(stream, held.owner_id, held.members_only)
    else:
        nodes.release(stream)


def _released(app: FastAPI) -> Callable[[list[str]], None]:
    """Streams a dead node held: their lives end (nobody else will say so)."""

    def on_released(streams: list[str]) -> None:
        for stream in streams:
            _note_live(app, stream, False)

    return on_released


def _note_live(app: FastAPI, name: str, live: bool) -> None:
    """A stream's live starts or ends: its followers hear of a new live, the home page takes
    stills of it."""
    services: Services = app.state.services
    stills: Stills = app.state.stills
    stream = app.state.media.streams.get(name)
    if not live or stream is None:
        stills.ended(name)
        with contextlib.suppress(NotFound):
            owner = resolve_streamer(services, name)
            stream_name = canonical_name(name, owner["username"])
            services.social.likes.flush(stream_name)  # the last taps count for this live
            services.social.lives.ended(stream_name)
        return
    stills.started(stream)
    owner = resolve_streamer(services, name)  # a publisher's own stream: it exists
    services.social.lives.started(canonical_name(name, owner["username"]), stream.owner_id)


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
async def media_config(request: Request, viewer: AnyViewer) -> Ok[MediaConfig]:
    settings: Settings = request.app.state.settings
    servers = ice_for_client(settings.ice_servers, viewer.id)
    return ok(
        MediaConfig(
            whip=settings.whip_url_template,
            whep=settings.whep_url_template,
            ice_servers=[IceServer.model_validate(server) for server in servers],
        )
    )


@dataclass(frozen=True)
class Publisher:
    """Who publishes: a signed-in owner of the stream, or a stream key for it."""

    user_id: str
    key_id: str | None = None


async def whip_publisher(
    stream: str, services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> Publisher:
    """``Authorization: Bearer`` with the owner's login token or a key of this stream."""
    validate_stream_name(stream)
    credential = bearer_token(authorization)
    if is_stream_key(credential):
        key = services.stream_keys.authorize(stream, credential)
        return Publisher(key["userId"], key["id"])
    user = await signed_in(services.auth.verify(credential))
    if not owns_stream(stream, user.username):
        raise Forbidden(f"You may only publish to your own streams ({user.username}, ...).")
    return Publisher(user.id)


WhipPublisher = Annotated[Publisher, Depends(whip_publisher)]


async def held_elsewhere(request: Request, media: MediaServer, stream: str) -> Response | None:
    """The answer of the node holding ``stream`` when this node's SFU does not have it live."""
    router: MediaRouter | None = request.app.state.media_router
    held = media.streams.get(stream)
    if router is None or (held is not None and held.live):
        return None
    return await router.forward(request, stream)


async def _session_elsewhere(
    request: Request, media: MediaServer, stream: str, session_id: str
) -> Response | None:
    """The answer of the node holding ``stream`` to a session this node does not have."""
    router: MediaRouter | None = request.app.state.media_router
    if router is None or session_id in media.sessions:
        return None
    return await router.forward(request, stream)


@router.post("/whip/{stream}")
async def whip_publish(
    stream: str,
    request: Request,
    publisher: WhipPublisher,
    media: Media,
    services: ServicesDep,
    visibility: Annotated[Literal["public", "members"], Query()] = "public",
) -> Response:
    if forwarded := await held_elsewhere(request, media, stream):
        return forwarded  # a studio reconnecting through another node: its viewers stay put
    metrics = _metrics(request)
    if stream in media.streams:
        metrics.reconnection("ingest")
    with counted(metrics, "ingest"):
        offer = await _offer(request)
        session = await media.publish(stream, publisher.user_id, offer, visibility == "members")
    session.key_id = publisher.key_id
    if publisher.key_id and not services.stream_keys.is_active(publisher.key_id):
        await media.end(session.id)  # revoked while the offer was being answered
        raise Forbidden("This stream key was revoked.", code="stream_key_revoked")
    return _created(request, "whip", stream, session, publisher.user_id)


@router.delete("/whip/{stream}/{session_id}")
async def whip_stop(
    stream: str, session_id: str, request: Request, publisher: WhipPublisher, media: Media
) -> Response:
    if forwarded := await _session_elsewhere(request, media, stream, session_id):
        return forwarded
    await media.end(session_id, publisher.user_id)
    return Response(status_code=200)


@router.patch("/whip/{stream}/{session_id}")
async def whip_trickle(
    stream: str, session_id: str, request: Request, publisher: WhipPublisher, media: Media
) -> Response:
    if forwarded := await _session_elsewhere(request, media, stream, session_id):
        return forwarded
    return await _trickle(request, media, "whip", stream, session_id, publisher.user_id)


@router.post("/whep/{stream}")
async def whep_play(stream: str, request: Request, viewer: AnyViewer, media: Media) -> Response:
    validate_stream_name(stream)
    if forwarded := await held_elsewhere(request, media, stream):
        return forwarded  # the holder checks who may watch
    live = media.streams.get(stream)
    if live is not None and live.members_only and viewer.is_guest:
        raise Forbidden("Sign in to watch this stream.", code="account_required")
    with counted(_metrics(request), "egress"):
        session = await media.play(stream, viewer.id, await _offer(request))
    return _created(request, "whep", stream, session, viewer.id)


@router.delete("/whep/{stream}/{session_id}")
async def whep_stop(
    stream: str, session_id: str, request: Request, viewer: AnyViewer, media: Media
) -> Response:
    if forwarded := await _session_elsewhere(request, media, stream, session_id):
        return forwarded
    await media.end(session_id, viewer.id)
    return Response(status_code=200)


@router.patch("/whep/{stream}/{session_id}")
async def whep_trickle(
    stream: str, session_id: str, request: Request, viewer: AnyViewer, media: Media
) -> Response:
    if forwarded := await _session_elsewhere(request, media, stream, session_id):
        return forwarded
    return await _trickle(request, media, "whep", stream, session_id, viewer.id)
