"""/api/webrtc (spec section 5) and the ``webrtc:*`` real-time events.

REST: offer / answer / ice-candidate (relay to a peer of a room, or play a stream from the SFU
when the offer names a ``streamId``), stream/start, stream/{id}/join, battle/{id}/setup,
multihost/{id}/setup, quality/adapt, connection/monitor. The same signaling runs over /ws:
clients send ``webrtc:join-room``, ``webrtc:offer``, ... and receive the spec's events.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import ConfigDict, Field, ValidationError

from backend.api.deps import AnyViewer, CurrentUser
from backend.api.media import get_media, held_elsewhere
from backend.api.models import Body
from backend.api.responses import ok
from backend.api.streams import live_check
from backend.errors import DomainError, Forbidden, InvalidInput
from backend.identity import AuthUser
from backend.media.server import MediaServer
from backend.realtime.hub import Connection, Hub
from backend.services.container import Services
from backend.services.webrtc import (
    Host,
    WebRTCService,
    validate_stream_name,
)
from wire.base import Ok
from wire.events import WebRTC, webrtc_room
from wire.webrtc import (
    REQUESTS,
    BattleSetup,
    Candidate,
    ChangeLayout,
    ClientMessage,
    Delivered,
    JoinRoom,
    LinkReport,
    MonitoredHealth,
    MultihostSetup,
    NetworkHealth,
    PeerId,
    PlayAnswer,
    Relay,
    RelayedCandidate,
    RelayedDescription,
    RenegotiationNeeded,
    RoomId,
    RoomOnly,
    Sdp,
    StartBattle,
    StartMultihost,
    StreamJoin,
    StreamStart,
    ToggleTrack,
    WebRTCError,
)

ROOM_PREFIX = webrtc_room("")


# ---- wiring ---------------------------------------------------------------------------
def _host_lookups(services: Services) -> tuple[Any, Any]:
    def battle_hosts(battle_id: str, user_id: str) -> list[Host]:
        battle = services.pk.get(battle_id, user_id)
        return [Host(h.id, h.username, h.username) for h in (battle.host1, battle.host2)]

    multihost = getattr(services, "multihost", None)

    def session_hosts(session_id: str, user_id: str) -> list[Host]:
        assert multihost is not None
        session = multihost.sessions.get(session_id, user_id)
        return [Host(h.user_id, h.username, h.stream_id or h.username) for h in session.hosts]

    return battle_hosts, (session_hosts if multihost is not None else None)


@contextlib.asynccontextmanager
async def webrtc_lifespan(app: FastAPI) -> AsyncIterator[None]:
    services: Services = app.state.services
    hub: Hub = app.state.hub
    battles, sessions = _host_lookups(services)
    settings = services.settings
    service = WebRTCService(
        settings.ice_servers,
        hub,
        battles,
        sessions,
        services.analytics.media,
        media_templates=(settings.whip_url_template, settings.whep_url_template),
    )
    app.state.webrtc = service
    _register_realtime(hub, service)
    yield


router = APIRouter(prefix="/api/webrtc", tags=["webrtc"], lifespan=webrtc_lifespan)


async def get_webrtc(request: Request) -> WebRTCService:
    service: WebRTCService = request.app.state.webrtc
    return service


WebRTCDep = Annotated[WebRTCService, Depends(get_webrtc)]
Media = Annotated[MediaServer, Depends(get_media)]


# ---- bodies ---------------------------------------------------------------------------
class NetworkStats(LinkReport):
    """The statistics a peer posts (the ``webrtc:stats-update`` model, unknown fields refused)."""

    model_config = ConfigDict(extra="forbid")


class OfferBody(Body):
    sdp: Sdp
    type: Literal["offer"] = "offer"
    streamId: str | None = None
    roomId: RoomId | None = None
    to: PeerId | None = None


class AnswerBody(Body):
    sdp: Sdp
    type: Literal["answer"] = "answer"
    roomId: RoomId
    to: PeerId


class CandidateBody(Body):
    roomId: RoomId
    to: PeerId
    candidate: Candidate


class StreamStartBody(Body):
    label: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")] | None = None
    visibility: Literal["public", "members"] = "public"


# ---- REST -------------------------------------------------------------------------------
DELIVERED = Delivered(delivered=True)


@router.post("/offer", response_model=Ok[PlayAnswer | Delivered])
async def offer(
    body: OfferBody, request: Request, viewer: AnyViewer, webrtc: WebRTCDep, media: Media
) -> Ok[PlayAnswer | Delivered] | Response:
    if body.streamId is not None:
        validate_stream_name(body.streamId)
        if forwarded := await held_elsewhere(request, media, body.streamId):
            return forwarded  # another node's SFU holds it: that node answers (and checks)
        live = media.streams.get(body.streamId)
        if live is not None and live.members_only and viewer.is_guest:
            raise Forbidden("Sign in to watch this stream.", code="account_required")
        session = await media.play(body.streamId, viewer.id, body.sdp)
        return ok(
            PlayAnswer(
                type="answer",
                sdp=session.answer,
                session_id=session.id,
                location=f"/whep/{body.streamId}/{session.id}",
                ice_servers=webrtc.ice_servers(viewer.id),
            )
        )
    if body.roomId is None or body.to is None:
        raise InvalidInput("Give a streamId (play a stream) or a roomId and a peer 'to'.")
    _account(viewer)
    sender = dict(webrtc.sender(body.roomId, viewer.id))
    offered = RelayedDescription.model_validate({**sender, "sdp": body.sdp, "type": "offer"})
    webrtc.relay(WebRTC.OFFER, body.to, offered)
    return ok(DELIVERED)


@router.post("/answer")
async def answer(body: AnswerBody, user: CurrentUser, webrtc: WebRTCDep) -> Ok[Delivered]:
    sender = dict(webrtc.sender(body.roomId, user.id))
    answered = RelayedDescription.model_validate({**sender, "sdp": body.sdp, "type": "answer"})
    webrtc.relay(WebRTC.ANSWER, body.to, answered)
    return ok(DELIVERED)


@router.post("/ice-candidate")
async def ice_candidate(body: CandidateBody, user: CurrentUser, webrtc: WebRTCDep) -> Ok[Delivered]:
    sender = dict(webrtc.sender(body.roomId, user.id))
    candidate = RelayedCandidate.model_validate({**sender, "candidate": body.candidate})
    webrtc.relay(WebRTC.ICE_CANDIDATE, body.to, candidate)
    return ok(DELIVERED)


@router.post("/stream/start")
async def stream_start(
    body: StreamStartBody, request: Request, user: CurrentUser, webrtc: WebRTCDep
) -> Ok[StreamStart]:
    stream = user.username + (f"~{body.label}" if body.label else "")
    urls = webrtc.stream_urls(stream)
    whip_url = urls.whip_url
    if body.visibility == "members":
        whip_url += ("&" if "?" in whip_url else "?") + "visibility=members"
    is_live = live_check(request)  # here or on another node
    started = {
        **dict(urls),
        "whip_url": whip_url,
        "visibility": body.visibility,
        "live": is_live is not None and is_live(stream),
        "ice_servers": webrtc.ice_servers(user.id),
    }
    return ok(StreamStart.model_validate(started))


@router.get("/stream/{stream}/join", response_model=Ok[StreamJoin])
async def stream_join(
    stream: str, request: Request, viewer: AnyViewer, webrtc: WebRTCDep, media: Media
) -> Ok[StreamJoin] | Response:
    validate_stream_name(stream)
    if forwarded := await held_elsewhere(request, media, stream):
        return forwarded  # its viewers and codecs are the holder's to tell
    live = media.streams.get(stream)
    if live is not None and live.members_only and viewer.is_guest:
        raise Forbidden("Sign in to watch this stream.", code="account_required")
    joining = {
        **dict(webrtc.stream_urls(stream)),
        "live": live is not None and live.live,
        "viewers": len(live.viewers) if live else 0,
        "codecs": {k: c.mimeType for k, c in live.codecs.items()} if live else {},
        "ice_servers": webrtc.ice_servers(viewer.id),
    }
    return ok(StreamJoin.model_validate(joining))


@router.get("/battle/{battle_id}/setup")
async def battle_setup(battle_id: str, user: AnyViewer, webrtc: WebRTCDep) -> Ok[BattleSetup]:
    return ok(webrtc.battle_setup(battle_id, user.id))


@router.get("/multihost/{session_id}/setup")
async def multihost_setup(
    session_id: str, user: AnyViewer, webrtc: WebRTCDep
) -> Ok[MultihostSetup]:
    return ok(webrtc.multihost_setup(session_id, user.id))


@router.post("/quality/adapt")
async def quality_adapt(
    body: NetworkStats, user: AnyViewer, webrtc: WebRTCDep
) -> Ok[NetworkHealth]:
    health = webrtc.adapt_quality(body.sample(), body.room_id or "", user.id)
    return ok(health.public())


@router.post("/connection/monitor")
async def connection_monitor(
    body: NetworkStats, user: AnyViewer, webrtc: WebRTCDep
) -> Ok[MonitoredHealth]:
    health = webrtc.monitor(body.sample(), body.stats(), body.room_id or "", user.id)
    return ok(MonitoredHealth.model_validate({**health.fields(), "stats": body.stats()}))


def _account(user: AuthUser) -> None:
    if user.is_guest:
        raise Forbidden("Sign in to take part in a call.", code="account_required")


# ---- real-time events ---------------------------------------------------------------------
Handler = Callable[[Connection, dict[str, Any]], Awaitable[None]]


def _register_realtime(hub: Hub, webrtc: WebRTCService) -> None:
    def may_join(user: AuthUser, room_id: str) -> bool:
        return webrtc.may_join(user.id, user.is_guest, room_id)

    hub.authorize_rooms(ROOM_PREFIX, may_join)

    def on_leave(conn: Connection, room: str) -> None:
        if room.startswith(ROOM_PREFIX):
            webrtc.leave(room[len(ROOM_PREFIX) :], conn.user.id, channel=conn)

    hub.leave_listeners.append(on_leave)

    def handler(event: str) -> Callable[[Callable[..., Any]], Handler]:
        """Register the action for a client's ``event``, given its ``REQUESTS`` model."""
        model: type[ClientMessage] = REQUESTS[event]

        def register(action: Callable[[Connection, Any], Awaitable[None]]) -> Handler:
            async def handle(conn: Connection, data: dict[str, Any]) -> None:
                try:
                    await action(conn, model.model_validate(data))
                except ValidationError as exc:
                    error = exc.errors()[0]
                    where = ".".join(str(p) for p in error.get("loc", ()))
                    message = f"{where}: {error['msg']}"
                    conn.send(
                        WebRTC.ERROR,
                        WebRTCError(event=event, code="invalid_input", message=message),
                    )
                except DomainError as exc:
                    conn.send(
                        WebRTC.ERROR, WebRTCError(event=event, code=exc.code, message=exc.message)
                    )

            hub.on_event(event, handle)
            return handle

        return register

    @handler(WebRTC.JOIN_ROOM)
    async def join_room(conn: Connection, data: JoinRoom) -> None:
        if not await hub.join(conn, webrtc_room(data.room_id)):
            raise Forbidden(f"You may not join the call '{data.room_id}'.")
        webrtc.join(data.room_id, conn.user.id, conn.user.username, conn, data.stream_id or "")

    @handler(WebRTC.LEAVE_ROOM)
    async def leave_room(conn: Connection, data: RoomOnly) -> None:
        hub.leave(conn, webrtc_room(data.room_id))

    for name in (WebRTC.OFFER, WebRTC.ANSWER):

        @handler(name)
        async def describe(conn: Connection, data: Relay, event: str = name) -> None:
            sender = dict(webrtc.sender(data.room_id, conn.user.id))
            described = {**sender, "sdp": data.sdp, "type": data.type}
            webrtc.relay(event, data.to, RelayedDescription.model_validate(described))

    @handler(WebRTC.ICE_CANDIDATE)
    async def candidate(conn: Connection, data: Relay) -> None:
        sender = dict(webrtc.sender(data.room_id, conn.user.id))
        candidate = RelayedCandidate.model_validate({**sender, "candidate": data.candidate})
        webrtc.relay(WebRTC.ICE_CANDIDATE, data.to, candidate)

    @handler(WebRTC.RENEGOTIATE)
    async def renegotiate(conn: Connection, data: Relay) -> None:
        sender = dict(webrtc.sender(data.room_id, conn.user.id))
        asked = {**sender, "reason": data.reason or "renegotiate"}
        webrtc.relay(
            WebRTC.RENEGOTIATION_NEEDED, data.to, RenegotiationNeeded.model_validate(asked)
        )

    @handler(WebRTC.START_PK_BATTLE)
    async def start_battle(conn: Connection, data: StartBattle) -> None:
        conn.send(WebRTC.PK_BATTLE_READY, webrtc.battle_setup(data.battle_id, conn.user.id))

    @handler(WebRTC.START_MULTIHOST)
    async def start_multihost(conn: Connection, data: StartMultihost) -> None:
        conn.send(WebRTC.MULTIHOST_READY, webrtc.multihost_setup(data.session_id, conn.user.id))

    @handler(WebRTC.TOGGLE_TRACK)
    async def toggle_track(conn: Connection, data: ToggleTrack) -> None:
        webrtc.toggle_track(data.room_id, conn.user.id, data.kind, data.enabled)

    @handler(WebRTC.CHANGE_LAYOUT)
    async def change_layout(conn: Connection, data: ChangeLayout) -> None:
        webrtc.change_layout(data.room_id, conn.user.id, data.layout)

    @handler(WebRTC.ADAPT_QUALITY)
    async def adapt_quality(conn: Connection, data: LinkReport) -> None:
        health = webrtc.adapt_quality(data.sample(), data.room_id or "", conn.user.id)
        conn.send(WebRTC.QUALITY_ADAPTED, health.in_room(data.room_id))

    @handler(WebRTC.HEALTH_CHECK)
    async def health_check(conn: Connection, data: LinkReport) -> None:
        health = webrtc.monitor(data.sample(), data.stats(), "", conn.user.id)
        conn.send(WebRTC.HEALTH_STATUS, health.in_room(data.room_id))
        if health.status == "poor":
            conn.send(WebRTC.CONNECTION_WARNING, health.in_room(data.room_id))

    @handler(WebRTC.STATS_UPDATE)
    async def stats_update(conn: Connection, data: LinkReport) -> None:
        if data.room_id is None:
            raise InvalidInput("Give the roomId the statistics belong to.")
        webrtc.monitor(data.sample(), data.stats(), data.room_id, conn.user.id)
