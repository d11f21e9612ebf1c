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

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.api.deps import AnyViewer, CurrentUser
from backend.api.media import get_media
from backend.api.models import Body
from backend.api.responses import ok
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
from wire.events import WebRTC, webrtc_room
from wire.quality import NetworkSample

ROOM_PREFIX = webrtc_room("")
RoomId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:~-]+$")]
PeerId = Annotated[str, Field(min_length=1, max_length=100)]
Sdp = Annotated[str, Field(min_length=10, max_length=64 * 1024)]


# ---- wiring ---------------------------------------------------------------------------
def _host_lookups(services: Services) -> tuple[Any, Any]:
    def battle_hosts(battle_id: str, user_id: str) -> list[Host]:
        battle = services.pk.get(battle_id, user_id)
        return [
            Host(h["id"], h.get("username") or "", h.get("username") or "")
            for h in (battle["host1"], battle["host2"])
        ]

    multihost = getattr(services, "multihost", None)

    def session_hosts(session_id: str, user_id: str) -> list[Host]:
        assert multihost is not None
        session = multihost.get(session_id, user_id)
        return [
            Host(h["userId"], h.get("username") or "", h.get("streamId") or h.get("username") or "")
            for h in session.get("hosts", [])
        ]

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
class NetworkStats(Body):
    """A peer's link as it measures it: RTT in ms, loss in %, bitrate in kbps."""

    roomId: RoomId | None = None
    rtt: float | None = Field(None, ge=0, le=60_000)
    packetLoss: float = Field(0.0, ge=0, le=100)
    bitrate: float = Field(0.0, ge=0, le=1_000_000)
    fps: float | None = Field(None, ge=0, le=240)
    jitter: float | None = Field(None, ge=0, le=60_000)

    def sample(self) -> NetworkSample:
        return NetworkSample(self.rtt, self.packetLoss, self.bitrate)

    def stats(self) -> dict[str, Any]:
        return self.model_dump(exclude={"roomId"}, exclude_none=True)


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
    candidate: dict[str, Any] | str | None


class StreamStartBody(Body):
    label: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")] | None = None
    visibility: Literal["public", "members"] = "public"


# ---- REST -------------------------------------------------------------------------------
@router.post("/offer")
async def offer(body: OfferBody, viewer: AnyViewer, webrtc: WebRTCDep, media: Media) -> dict:
    if body.streamId is not None:
        validate_stream_name(body.streamId)
        live = media.streams.get(body.streamId)
        if live is not None and live.members_only and viewer.is_guest:
            raise Forbidden("Sign in to watch this stream.", code="account_required")
        session = await media.play(body.streamId, viewer.id, body.sdp)
        return ok(
            {
                "type": "answer",
                "sdp": session.answer,
                "sessionId": session.id,
                "location": f"/whep/{body.streamId}/{session.id}",
                "iceServers": webrtc.ice_servers(viewer.id),
            }
        )
    if body.roomId is None or body.to is None:
        raise InvalidInput("Give a streamId (play a stream) or a roomId and a peer 'to'.")
    _account(viewer)
    webrtc.relay(WebRTC.OFFER, body.roomId, viewer.id, body.to, {"sdp": body.sdp, "type": "offer"})
    return ok({"delivered": True})


@router.post("/answer")
async def answer(body: AnswerBody, user: CurrentUser, webrtc: WebRTCDep) -> dict:
    webrtc.relay(WebRTC.ANSWER, body.roomId, user.id, body.to, {"sdp": body.sdp, "type": "answer"})
    return ok({"delivered": True})


@router.post("/ice-candidate")
async def ice_candidate(body: CandidateBody, user: CurrentUser, webrtc: WebRTCDep) -> dict:
    webrtc.relay(WebRTC.ICE_CANDIDATE, body.roomId, user.id, body.to, {"candidate": body.candidate})
    return ok({"delivered": True})


@router.post("/stream/start")
async def stream_start(
    body: StreamStartBody, user: CurrentUser, webrtc: WebRTCDep, media: Media
) -> dict:
    stream = user.username + (f"~{body.label}" if body.label else "")
    urls = webrtc.stream_urls(stream)
    if body.visibility == "members":
        urls["whipUrl"] += ("&" if "?" in urls["whipUrl"] else "?") + "visibility=members"
    live = media.streams.get(stream)
    return ok(
        {
            **urls,
            "visibility": body.visibility,
            "live": live is not None and live.live,
            "iceServers": webrtc.ice_servers(user.id),
        }
    )


@router.get("/stream/{stream}/join")
async def stream_join(stream: str, viewer: AnyViewer, webrtc: WebRTCDep, media: Media) -> dict:
    validate_stream_name(stream)
    live = media.streams.get(stream)
    if live is not None and live.members_only and viewer.is_guest:
        raise Forbidden("Sign in to watch this stream.", code="account_required")
    return ok(
        {
            **webrtc.stream_urls(stream),
            "live": live is not None and live.live,
            "viewers": len(live.viewers) if live else 0,
            "codecs": {k: c.mimeType for k, c in live.codecs.items()} if live else {},
            "iceServers": webrtc.ice_servers(viewer.id),
        }
    )


@router.get("/battle/{battle_id}/setup")
async def battle_setup(battle_id: str, user: AnyViewer, webrtc: WebRTCDep) -> dict:
    return ok({"battleId": battle_id, **webrtc.battle_setup(battle_id, user.id)})


@router.get("/multihost/{session_id}/setup")
async def multihost_setup(session_id: str, user: AnyViewer, webrtc: WebRTCDep) -> dict:
    return ok({"sessionId": session_id, **webrtc.multihost_setup(session_id, user.id)})


@router.post("/quality/adapt")
async def quality_adapt(body: NetworkStats, user: AnyViewer, webrtc: WebRTCDep) -> dict:
    health = webrtc.adapt_quality(body.sample(), body.roomId or "", user.id)
    return ok(health.public())


@router.post("/connection/monitor")
async def connection_monitor(body: NetworkStats, user: AnyViewer, webrtc: WebRTCDep) -> dict:
    health = webrtc.monitor(body.sample(), body.stats(), body.roomId or "", user.id)
    return ok({**health.public(), "stats": body.stats()})


def _account(user: AuthUser) -> None:
    if user.is_guest:
        raise Forbidden("Sign in to take part in a call.", code="account_required")


# ---- real-time events ---------------------------------------------------------------------
class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class JoinRoom(_Event):
    roomId: RoomId
    streamId: str | None = None


class RoomOnly(_Event):
    roomId: RoomId


class Relay(_Event):
    roomId: RoomId
    to: PeerId
    sdp: Sdp | None = None
    type: str | None = None
    candidate: dict[str, Any] | str | None = None
    reason: str | None = None


class ToggleTrack(_Event):
    roomId: RoomId
    kind: Literal["audio", "video"]
    enabled: bool


class ChangeLayout(_Event):
    roomId: RoomId
    layout: Annotated[str, Field(min_length=1, max_length=40)]


class StartBattle(_Event):
    battleId: Annotated[str, Field(min_length=1, max_length=100)]


class StartMultihost(_Event):
    sessionId: Annotated[str, Field(min_length=1, max_length=100)]


class StatsEvent(NetworkStats):
    model_config = ConfigDict(extra="ignore")


Handler = Callable[[Connection, dict[str, Any]], Awaitable[None]]


def _register_realtime(hub: Hub, webrtc: WebRTCService) -> None:
    def may_join(user: AuthUser, room_id: str) -> bool:
        return webrtc.may_join(user.id, user.is_guest, room_id)

    hub.authorize_rooms(ROOM_PREFIX, may_join)

    def on_leave(conn: Connection, room: str) -> None:
        if room.startswith(ROOM_PREFIX):
            webrtc.leave(room[len(ROOM_PREFIX) :], conn.user.id, channel=conn)

    hub.leave_listeners.append(on_leave)

    def handler(event: str, model: type[BaseModel]) -> Callable[[Callable[..., Any]], Handler]:
        def register(action: Callable[[Connection, Any], Awaitable[None]]) -> Handler:
            async def handle(conn: Connection, data: dict[str, Any]) -> None:
                try:
                    await action(conn, model.model_validate(data))
                except ValidationError as exc:
                    error = exc.errors()[0]
                    where = ".".join(str(p) for p in error.get("loc", ()))
                    conn.send(
                        WebRTC.ERROR, _error(event, "invalid_input", f"{where}: {error['msg']}")
                    )
                except DomainError as exc:
                    conn.send(WebRTC.ERROR, _error(event, exc.code, exc.message))

            hub.on_event(event, handle)
            return handle

        return register

    @handler(WebRTC.JOIN_ROOM, JoinRoom)
    async def join_room(conn: Connection, data: JoinRoom) -> None:
        if not await hub.join(conn, webrtc_room(data.roomId)):
            raise Forbidden(f"You may not join the call '{data.roomId}'.")
        webrtc.join(data.roomId, conn.user.id, conn.user.username, conn, data.streamId or "")

    @handler(WebRTC.LEAVE_ROOM, RoomOnly)
    async def leave_room(conn: Connection, data: RoomOnly) -> None:
        hub.leave(conn, webrtc_room(data.roomId))

    for name in (WebRTC.OFFER, WebRTC.ANSWER, WebRTC.ICE_CANDIDATE):

        @handler(name, Relay)
        async def relay(conn: Connection, data: Relay, event: str = name) -> None:
            payload = data.model_dump(exclude={"roomId", "to", "reason"}, exclude_none=True)
            webrtc.relay(event, data.roomId, conn.user.id, data.to, payload)

    @handler(WebRTC.RENEGOTIATE, Relay)
    async def renegotiate(conn: Connection, data: Relay) -> None:
        payload = {"reason": data.reason or "renegotiate"}
        webrtc.relay(WebRTC.RENEGOTIATION_NEEDED, data.roomId, conn.user.id, data.to, payload)

    @handler(WebRTC.START_PK_BATTLE, StartBattle)
    async def start_battle(conn: Connection, data: StartBattle) -> None:
        setup = webrtc.battle_setup(data.battleId, conn.user.id)
        conn.send(WebRTC.PK_BATTLE_READY, {"battleId": data.battleId, **setup})

    @handler(WebRTC.START_MULTIHOST, StartMultihost)
    async def start_multihost(conn: Connection, data: StartMultihost) -> None:
        setup = webrtc.multihost_setup(data.sessionId, conn.user.id)
        conn.send(WebRTC.MULTIHOST_READY, {"sessionId": data.sessionId, **setup})

    @handler(WebRTC.TOGGLE_TRACK, ToggleTrack)
    async def toggle_track(conn: Connection, data: ToggleTrack) -> None:
        webrtc.toggle_track(data.roomId, conn.user.id, data.kind, data.enabled)

    @handler(WebRTC.CHANGE_LAYOUT, ChangeLayout)
    async def change_layout(conn: Connection, data: ChangeLayout) -> None:
        webrtc.change_layout(data.roomId, conn.user.id, data.layout)

    @handler(WebRTC.ADAPT_QUALITY, StatsEvent)
    async def adapt_quality(conn: Connection, data: StatsEvent) -> None:
        health = webrtc.adapt_quality(data.sample(), data.roomId or "", conn.user.id)
        conn.send(WebRTC.QUALITY_ADAPTED, {"roomId": data.roomId, **health.public()})

    @handler(WebRTC.HEALTH_CHECK, StatsEvent)
    async def health_check(conn: Connection, data: StatsEvent) -> None:
        health = webrtc.monitor(data.sample(), data.stats(), "", conn.user.id)
        conn.send(WebRTC.HEALTH_STATUS, {"roomId": data.roomId, **health.public()})
        if health.status == "poor":
            conn.send(WebRTC.CONNECTION_WARNING, {"roomId": data.roomId, **health.public()})

    @handler(WebRTC.STATS_UPDATE, StatsEvent)
    async def stats_update(conn: Connection, data: StatsEvent) -> None:
        if data.roomId is None:
            raise InvalidInput("Give the roomId the statistics belong to.")
        webrtc.monitor(data.sample(), data.stats(), data.roomId, conn.user.id)


def _error(event: str, code: str, message: str) -> dict[str, Any]:
    return {"event": event, "code": code, "message": message}
