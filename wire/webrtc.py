"""``/api/webrtc`` answers and the ``webrtc:*`` events the server sends.

A call's hosts meet in a room (``webrtc:{roomId}``): each gets the peers already there, the
others learn who joined or left, and offers, answers and ICE candidates are relayed to one
peer (``from`` names the sender). Network statistics come back as a health verdict with the
quality level the spec's table recommends (``wire.quality``).

What a client sends (``REQUESTS``: the studio builds these, the backend validates with them)
is typed here too: joining and leaving a room, descriptions and candidates for one peer, link
statistics.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from wire.base import WireModel, absent_when_none
from wire.events import WebRTC
from wire.media import IceServer
from wire.quality import NetworkSample
from wire.topology import Topology

HealthStatus = Literal["healthy", "degraded", "poor"]
QualityName = Literal["excellent", "good", "fair", "poor"]
TrackKind = Literal["audio", "video"]
Visibility = Literal["public", "members"]


class StreamUrls(WireModel):
    """Where a stream is published (WHIP), played (WHEP) and watched (the viewer page)."""

    stream_id: str
    whip_url: str
    whep_url: str
    watch_url: str


class StreamStart(StreamUrls):
    """``POST /api/webrtc/stream/start``: where to publish one of your streams."""

    visibility: Visibility
    live: bool
    ice_servers: list[IceServer]


class StreamJoin(StreamUrls):
    """``GET /api/webrtc/stream/{stream}/join``: how to play a stream; ``codecs`` maps a track
    kind to its MIME type while the stream is live."""

    live: bool
    viewers: int
    codecs: dict[str, str]
    ice_servers: list[IceServer]


class PlayAnswer(WireModel):
    """``POST /api/webrtc/offer`` naming a ``streamId``: the SFU's answer to play it."""

    type: Literal["answer"]
    sdp: str
    session_id: str
    location: str
    ice_servers: list[IceServer]


class Delivered(WireModel):
    """A signaling message relayed to its peer."""

    delivered: Literal[True]


class CallHost(StreamUrls):
    user_id: str
    username: str
    live: bool  # publishing now
    joined: bool  # in the call's room now


class CallSetup(WireModel):
    room_id: str
    ice_servers: list[IceServer]
    topology: Topology
    is_host: bool
    hosts: list[CallHost]


class BattleSetup(CallSetup):
    """``GET /api/webrtc/battle/{id}/setup`` and ``webrtc:pk-battle-ready``."""

    battle_id: str


class MultihostSetup(CallSetup):
    """``GET /api/webrtc/multihost/{id}/setup`` and ``webrtc:multihost-ready``."""

    session_id: str


class QualityAdvice(WireModel):
    """The level of the spec's table (``wire.quality.LEVELS``) to send at."""

    level: str  # low, sd, hd, fullhd
    label: str
    height: int
    fps: float
    bitrate: int  # bits per second


class NetworkHealth(WireModel):
    """``POST /api/webrtc/quality/adapt``: a link's verdict and what to do about it."""

    status: HealthStatus
    quality: QualityName
    recommended: QualityAdvice
    issues: list[str]  # reasons a person can act on (high latency, packet loss, ...)


class LinkStats(WireModel):
    """A peer's link as it measures it: RTT and jitter in ms, loss in %, bitrate in kbps."""

    rtt: float | None = absent_when_none()
    packet_loss: float
    bitrate: float
    fps: float | None = absent_when_none()
    jitter: float | None = absent_when_none()


# ---- what clients send ------------------------------------------------------------------
RoomId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:~-]+$")]
PeerId = Annotated[str, Field(min_length=1, max_length=100)]
Sdp = Annotated[str, Field(min_length=10, max_length=64 * 1024)]
Candidate = dict[str, Any] | str | None
Milliseconds = Annotated[float, Field(ge=0, le=60_000)]


class ClientMessage(WireModel):
    """A message a client sends: text is trimmed of surrounding whitespace."""

    model_config = ConfigDict(str_strip_whitespace=True)


class JoinRoom(ClientMessage):
    """``webrtc:join-room``; a broadcaster names the stream it publishes (``stream_id``)."""

    room_id: RoomId
    stream_id: str | None = absent_when_none()


class RoomOnly(ClientMessage):
    """``webrtc:leave-room``."""

    room_id: RoomId


class Relay(ClientMessage):
    """``webrtc:offer``, ``webrtc:answer``, ``webrtc:ice-candidate`` and ``webrtc:renegotiate``
    for one peer of the room (``to``): what is not given is not sent."""

    room_id: RoomId
    to: PeerId
    sdp: Sdp | None = absent_when_none()
    type: str | None = absent_when_none()
    candidate: Candidate = absent_when_none()
    reason: str | None = absent_when_none()


class ToggleTrack(ClientMessage):
    room_id: RoomId
    kind: TrackKind
    enabled: bool


class ChangeLayout(ClientMessage):
    room_id: RoomId
    layout: Annotated[str, Field(min_length=1, max_length=40)]


class StartBattle(ClientMessage):
    battle_id: Annotated[str, Field(min_length=1, max_length=100)]


class StartMultihost(ClientMessage):
    session_id: Annotated[str, Field(min_length=1, max_length=100)]


class LinkReport(ClientMessage):
    """A peer's statistics (``webrtc:stats-update``, ``webrtc:adapt-quality``,
    ``webrtc:health-check``, and the body of ``/api/webrtc/quality/adapt`` and
    ``/connection/monitor``): RTT and jitter in ms, loss in %, bitrate in kbps."""

    room_id: RoomId | None = absent_when_none()
    rtt: Milliseconds | None = absent_when_none()
    packet_loss: float = Field(0.0, ge=0, le=100)
    bitrate: float = Field(0.0, ge=0, le=1_000_000)
    fps: Annotated[float, Field(ge=0, le=240)] | None = absent_when_none()
    jitter: Milliseconds | None = absent_when_none()

    def sample(self) -> NetworkSample:
        return NetworkSample(self.rtt, self.packet_loss, self.bitrate)

    def stats(self) -> LinkStats:
        return LinkStats(
            rtt=self.rtt,
            packet_loss=self.packet_loss,
            bitrate=self.bitrate,
            fps=self.fps,
            jitter=self.jitter,
        )


class MonitoredHealth(NetworkHealth):
    """``POST /api/webrtc/connection/monitor``: the verdict and the statistics it judged."""

    stats: LinkStats


class RoomHealth(NetworkHealth):
    """``webrtc:quality-adapted``, ``webrtc:health-status`` and ``webrtc:connection-warning``
    to the peer that measured it (``room_id`` null when it named no room)."""

    room_id: str | None


class PeerHealth(NetworkHealth):
    """``webrtc:peer-quality-changed``: a peer of the room changed quality level."""

    room_id: str
    user_id: str


class PeerStats(WireModel):
    room_id: str
    user_id: str
    stats: LinkStats


class Peer(StreamUrls):
    """A host in a call's room, with the state of its tracks and its last quality level."""

    user_id: str
    username: str
    audio: bool
    video: bool
    quality: QualityName | Literal[""]  # "" until it reports


class ExistingPeers(WireModel):
    """To a peer that joined: who is already there and how to connect."""

    room_id: str
    peers: list[Peer]
    topology: Topology
    ice_servers: list[IceServer]


class PeerJoined(WireModel):
    room_id: str
    peer: Peer
    topology: Topology


class PeerLeft(WireModel):
    room_id: str
    user_id: str
    topology: Topology


class Relayed(WireModel):
    """A message from one peer of the room to another; ``from`` is the sender's user id."""

    room_id: str
    from_: str = Field(alias="from")
    username: str


class RelayedDescription(Relayed):
    """``webrtc:offer`` and ``webrtc:answer``: the sender's session description."""

    sdp: str | None = absent_when_none()
    type: str | None = absent_when_none()


class RelayedCandidate(Relayed):
    """``webrtc:ice-candidate``; no ``candidate`` when the sender's gathering is complete."""

    candidate: dict[str, Any] | str | None = absent_when_none()


class RenegotiationNeeded(WireModel):
    """Renegotiate the call: asked by a peer (``from``/``username``), or because the room's
    ``topology`` changed (reason ``topology``)."""

    room_id: str
    reason: str
    topology: Topology | None = absent_when_none()
    from_: str | None = absent_when_none("from")
    username: str | None = absent_when_none()


class TrackToggled(WireModel):
    room_id: str
    user_id: str
    kind: TrackKind
    enabled: bool


class LayoutChanged(WireModel):
    room_id: str
    user_id: str
    layout: str


class WebRTCError(WireModel):
    """A ``webrtc:*`` request that failed: the request's event name, a code and why."""

    event: str
    code: str
    message: str


EVENTS: dict[str, type[WireModel]] = {
    WebRTC.EXISTING_PEERS: ExistingPeers,
    WebRTC.PEER_JOINED: PeerJoined,
    WebRTC.PEER_LEFT: PeerLeft,
    WebRTC.OFFER: RelayedDescription,
    WebRTC.ANSWER: RelayedDescription,
    WebRTC.ICE_CANDIDATE: RelayedCandidate,
    WebRTC.RENEGOTIATION_NEEDED: RenegotiationNeeded,
    WebRTC.PK_BATTLE_READY: BattleSetup,
    WebRTC.MULTIHOST_READY: MultihostSetup,
    WebRTC.TRACK_TOGGLED: TrackToggled,
    WebRTC.LAYOUT_CHANGED: LayoutChanged,
    WebRTC.QUALITY_ADAPTED: RoomHealth,
    WebRTC.HEALTH_STATUS: RoomHealth,
    WebRTC.CONNECTION_WARNING: RoomHealth,
    WebRTC.PEER_QUALITY_CHANGED: PeerHealth,
    WebRTC.PEER_STATS: PeerStats,
    WebRTC.ERROR: WebRTCError,
}


REQUESTS: dict[str, type[ClientMessage]] = {
    WebRTC.JOIN_ROOM: JoinRoom,
    WebRTC.LEAVE_ROOM: RoomOnly,
    WebRTC.OFFER: Relay,
    WebRTC.ANSWER: Relay,
    WebRTC.ICE_CANDIDATE: Relay,
    WebRTC.RENEGOTIATE: Relay,
    WebRTC.START_PK_BATTLE: StartBattle,
    WebRTC.START_MULTIHOST: StartMultihost,
    WebRTC.TOGGLE_TRACK: ToggleTrack,
    WebRTC.CHANGE_LAYOUT: ChangeLayout,
    WebRTC.ADAPT_QUALITY: LinkReport,
    WebRTC.HEALTH_CHECK: LinkReport,
    WebRTC.STATS_UPDATE: LinkReport,
}
"""What a client sends for each ``webrtc:*`` event it may send."""
