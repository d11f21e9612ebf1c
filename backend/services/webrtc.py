"""WebRTC signaling rules: streams, rooms of hosts, relay, topology, quality and health.

Streams: a user publishes to streams named after them (``alice`` or ``alice~second-cam``; ``~``
cannot appear in a username). Rooms (``webrtc:{roomId}``) hold the hosts of a PK battle
(``battle-{id}``), of a multi-host session (``multihost-{id}``) or of an ad-hoc room. Up to
four hosts connect directly in a mesh (offers, answers and candidates relayed here); above
that every host publishes to the SFU and plays the others from it. Media state lives in
memory: a peer connection does not survive a restart, and clients rejoin after reconnecting.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from backend.errors import Forbidden, InvalidInput, NotFound
from backend.events import EventSink
from backend.services.analytics import MediaMetrics
from backend.settings import (
    DEFAULT_WHEP_TEMPLATE,
    DEFAULT_WHIP_TEMPLATE,
    IceServer,
    ice_for_client,
    media_url,
)
from wire.base import WireModel
from wire.events import WebRTC, webrtc_room
from wire.media import IceServer as ClientIceServer
from wire.quality import LEVELS, Condition, NetworkSample, classify
from wire.topology import topology
from wire.webrtc import (
    BattleSetup,
    CallHost,
    CallSetup,
    ExistingPeers,
    LayoutChanged,
    LinkStats,
    MultihostSetup,
    NetworkHealth,
    PeerHealth,
    PeerJoined,
    PeerLeft,
    PeerStats,
    QualityAdvice,
    Relayed,
    RenegotiationNeeded,
    RoomHealth,
    StreamUrls,
    TrackKind,
    TrackToggled,
)
from wire.webrtc import Peer as PeerCard

STREAM_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,32}(~[A-Za-z0-9_-]{1,32})?$")
ROOM_PATTERN = re.compile(r"^[A-Za-z0-9_.:~-]{1,100}$")
BATTLE_PREFIX = "battle-"
MULTIHOST_PREFIX = "multihost-"


def validate_stream_name(stream: str) -> None:
    if not STREAM_PATTERN.match(stream):
        raise InvalidInput("A stream is named after its owner: 'username' or 'username~label'.")


def owns_stream(stream: str, username: str) -> bool:
    return stream.split("~", 1)[0].lower() == username.lower()


def stream_urls(
    stream: str, whip: str = DEFAULT_WHIP_TEMPLATE, whep: str = DEFAULT_WHEP_TEMPLATE
) -> StreamUrls:
    """Where a stream is published and played: the backend's WHIP/WHEP URL templates."""
    return StreamUrls(
        stream_id=stream,
        whip_url=media_url(whip, stream),
        whep_url=media_url(whep, stream),
        watch_url=f"/watch/{stream}",
    )


class Channel(Protocol):
    """Where a peer's events go (a hub connection)."""

    def send(self, event: str, data: WireModel) -> bool: ...


@dataclass(frozen=True)
class Host:
    user_id: str
    username: str
    stream_id: str


HostLookup = Callable[[str, str], list[Host]]  # (group id, asking user id) -> hosts


@dataclass(eq=False)
class Peer:
    user_id: str
    username: str
    stream_id: str
    channel: Channel
    audio: bool = True
    video: bool = True
    quality: str = ""
    stats: LinkStats | None = None
    joined_at: float = field(default_factory=time.time)

    def public(self, urls: Callable[[str], StreamUrls] = stream_urls) -> PeerCard:
        return PeerCard.model_validate(
            {
                **dict(urls(self.stream_id)),
                "user_id": self.user_id,
                "username": self.username,
                "audio": self.audio,
                "video": self.video,
                "quality": self.quality,
            }
        )


@dataclass(frozen=True)
class Health:
    status: str  # healthy, degraded, poor
    condition: Condition
    issues: list[str]

    def public(self) -> NetworkHealth:
        return NetworkHealth.model_validate(self.fields())

    def fields(self) -> dict[str, object]:
        """The verdict's fields, for an answer or event that carries more beside them."""
        level = LEVELS[self.condition]
        return {
            "status": self.status,
            "quality": self.condition.name.lower(),
            "recommended": QualityAdvice(
                level=level.name,
                label=level.label,
                height=level.height,
                fps=level.fps,
                bitrate=level.bitrate,
            ),
            "issues": self.issues,
        }

    def in_room(self, room_id: str | None) -> RoomHealth:
        return RoomHealth.model_validate({**self.fields(), "room_id": room_id})


def assess(sample: NetworkSample) -> Health:
    """The spec's table applied to one sample, with the reasons a person can act on."""
    condition = classify(sample)
    issues = []
    if (sample.rtt_ms or 0.0) > 100:
        issues.append(f"high latency ({sample.rtt_ms:.0f} ms)")
    if sample.loss_pct > 3:
        issues.append(f"packet loss {sample.loss_pct:.1f} %")
    if sample.congested and sample.bitrate_kbps < 1000:
        issues.append(f"low bandwidth ({sample.bitrate_kbps:.0f} kbps)")
    status = {Condition.EXCELLENT: "healthy", Condition.GOOD: "healthy"}.get(condition)
    return Health(
        status or ("degraded" if condition is Condition.FAIR else "poor"), condition, issues
    )


class WebRTCService:
    def __init__(
        self,
        ice_servers: Iterable[IceServer],
        events: EventSink,
        battle_hosts: HostLookup | None = None,
        session_hosts: HostLookup | None = None,
        metrics: MediaMetrics | None = None,
        media_templates: tuple[str, str] = (DEFAULT_WHIP_TEMPLATE, DEFAULT_WHEP_TEMPLATE),
    ) -> None:
        self._ice_servers = tuple(ice_servers)
        self.media_templates = media_templates
        self.events = events
        self.metrics = metrics
        self.battle_hosts = battle_hosts
        self.session_hosts = session_hosts
        self.rooms: dict[str, dict[str, Peer]] = {}
        self.live_streams: set[str] = set()

    def ice_servers(self, user_id: str) -> list[ClientIceServer]:
        """The STUN/TURN servers for this user's peer connections (TURN passwords short-lived)."""
        servers = ice_for_client(self._ice_servers, user_id)
        return [ClientIceServer.model_validate(server) for server in servers]

    def stream_urls(self, stream: str) -> StreamUrls:
        return stream_urls(stream, *self.media_templates)

    # ---- setup -----------------------------------------------------------------------
    def battle_setup(self, battle_id: str, user_id: str) -> BattleSetup:
        setup = self._group_setup(
            self.battle_hosts, "PK battles", battle_id, user_id, BATTLE_PREFIX
        )
        return BattleSetup.model_validate({**dict(setup), "battle_id": battle_id})

    def multihost_setup(self, session_id: str, user_id: str) -> MultihostSetup:
        setup = self._group_setup(
            self.session_hosts, "Multi-host sessions", session_id, user_id, MULTIHOST_PREFIX
        )
        return MultihostSetup.model_validate({**dict(setup), "session_id": session_id})

    def _group_setup(
        self, lookup: HostLookup | None, what: str, group_id: str, user_id: str, prefix: str
    ) -> CallSetup:
        if lookup is None:
            raise NotFound(f"{what} are not available on this server.")
        hosts = lookup(group_id, user_id)
        room_id = prefix + group_id
        return CallSetup(
            room_id=room_id,
            ice_servers=self.ice_servers(user_id),
            topology=topology(len(hosts)),
            is_host=any(h.user_id == user_id for h in hosts),
            hosts=[self._call_host(h, room_id) for h in hosts],
        )

    def _call_host(self, host: Host, room_id: str) -> CallHost:
        stream = host.stream_id or host.username
        return CallHost.model_validate(
            {
                **dict(self.stream_urls(stream)),
                "user_id": host.user_id,
                "username": host.username,
                "live": stream in self.live_streams,
                "joined": host.user_id in self.rooms.get(room_id, {}),
            }
        )

    def may_join(self, user_id: str, is_guest: bool, room_id: str) -> bool:
        if is_guest or not ROOM_PATTERN.match(room_id):
            return False
        for prefix, lookup in (
            (BATTLE_PREFIX, self.battle_hosts),
            (MULTIHOST_PREFIX, self.session_hosts),
        ):
            if room_id.startswith(prefix):
                if lookup is None:
                    return False
                try:
                    hosts = lookup(room_id[len(prefix) :], user_id)
                except (NotFound, Forbidden):
                    return False
                return any(h.user_id == user_id for h in hosts)
        return True

    # ---- rooms -----------------------------------------------------------------------
    def join(
        self, room_id: str, user_id: str, username: str, channel: Channel, stream_id: str = ""
    ) -> Peer:
        """Add a peer; it receives ``existing-peers``, the others ``peer-joined``."""
        stream_id = stream_id or username
        validate_stream_name(stream_id)
        if not owns_stream(stream_id, username):
            raise Forbidden("A peer announces its own stream only.")
        peers = self.rooms.setdefault(room_id, {})
        before = topology(len(peers))
        peer = Peer(user_id, username, stream_id, channel)
        peers[user_id] = peer
        now = topology(len(peers))
        others = [p for p in peers.values() if p is not peer]
        channel.send(
            WebRTC.EXISTING_PEERS,
            ExistingPeers(
                room_id=room_id,
                peers=[p.public(self.stream_urls) for p in others],
                topology=now,
                ice_servers=self.ice_servers(user_id),
            ),
        )
        joined = PeerJoined(room_id=room_id, peer=peer.public(self.stream_urls), topology=now)
        for other in others:
            other.channel.send(WebRTC.PEER_JOINED, joined)
        if now != before and len(peers) > 1:
            self._topology_changed(room_id)
        return peer

    def leave(self, room_id: str, user_id: str, channel: Channel | None = None) -> bool:
        """Remove a peer (only if ``channel`` is still its channel, when given)."""
        peers = self.rooms.get(room_id, {})
        peer = peers.get(user_id)
        if peer is None or (channel is not None and peer.channel is not channel):
            return False
        before = topology(len(peers))
        del peers[user_id]
        if not peers:
            del self.rooms[room_id]
        now = topology(len(peers))
        self._broadcast(
            room_id, WebRTC.PEER_LEFT, PeerLeft(room_id=room_id, user_id=user_id, topology=now)
        )
        if now != before and peers:
            self._topology_changed(room_id)
        return True

    def _topology_changed(self, room_id: str) -> None:
        now = topology(len(self.rooms.get(room_id, {})))
        changed = RenegotiationNeeded(room_id=room_id, reason="topology", topology=now)
        self._broadcast(room_id, WebRTC.RENEGOTIATION_NEEDED, changed)

    def peers(self, room_id: str) -> list[Peer]:
        return list(self.rooms.get(room_id, {}).values())

    def peer(self, room_id: str, user_id: str) -> Peer:
        peer = self.rooms.get(room_id, {}).get(user_id)
        if peer is None:
            raise NotFound("Join the room first.", code="not_in_room")
        return peer

    # ---- relay -----------------------------------------------------------------------
    def sender(self, room_id: str, user_id: str) -> Relayed:
        """Who a relayed message is from (the user must be a peer of the room)."""
        peer = self.peer(room_id, user_id)
        return Relayed.model_validate(
            {"room_id": room_id, "from": peer.user_id, "username": peer.username}
        )

    def relay(self, event: str, to_id: str, message: Relayed | RenegotiationNeeded) -> None:
        """Pass an offer, answer, candidate or renegotiation request (from ``sender``) to one
        peer of the room."""
        target = self.rooms.get(message.room_id, {}).get(to_id)
        if target is None:
            raise NotFound("That peer is not in the room.", code="peer_not_found")
        target.channel.send(event, message)

    def toggle_track(self, room_id: str, user_id: str, kind: TrackKind, enabled: bool) -> None:
        if kind not in ("audio", "video"):
            raise InvalidInput("kind is 'audio' or 'video'.")
        peer = self.peer(room_id, user_id)
        setattr(peer, kind, enabled)
        toggled = TrackToggled(room_id=room_id, user_id=user_id, kind=kind, enabled=enabled)
        self._broadcast(room_id, WebRTC.TRACK_TOGGLED, toggled)

    def change_layout(self, room_id: str, user_id: str, layout: str) -> None:
        self.peer(room_id, user_id)
        changed = LayoutChanged(room_id=room_id, user_id=user_id, layout=layout)
        self._broadcast(room_id, WebRTC.LAYOUT_CHANGED, changed)

    # ---- quality and health ------------------------------------------------------------
    def adapt_quality(self, sample: NetworkSample, room_id: str = "", user_id: str = "") -> Health:
        health = self._assess(sample)
        if room_id:
            peer = self.peer(room_id, user_id)
            quality = health.condition.name.lower()
            if peer.quality != quality:
                peer.quality = quality
                if self.metrics is not None:
                    self.metrics.quality_change(quality)
                changed = PeerHealth.model_validate(
                    {**health.fields(), "room_id": room_id, "user_id": user_id}
                )
                self._broadcast(room_id, WebRTC.PEER_QUALITY_CHANGED, changed)
        return health

    def monitor(
        self, sample: NetworkSample, stats: LinkStats, room_id: str = "", user_id: str = ""
    ) -> Health:
        """Record a peer's statistics; warn the peer (and tell the room) when they are bad."""
        health = self._assess(sample)
        if room_id:
            peer = self.peer(room_id, user_id)
            peer.stats = stats
            reported = PeerStats(room_id=room_id, user_id=user_id, stats=stats)
            self._broadcast(room_id, WebRTC.PEER_STATS, reported)
            if health.condition <= Condition.FAIR:
                peer.channel.send(WebRTC.CONNECTION_WARNING, health.in_room(room_id))
        return health

    def _assess(self, sample: NetworkSample) -> Health:
        if self.metrics is not None:
            self.metrics.network(sample.rtt_ms, sample.loss_pct)
        return assess(sample)

    def stream_changed(self, stream: str, live: bool) -> None:
        if live:
            self.live_streams.add(stream)
        else:
            self.live_streams.discard(stream)

    def _broadcast(self, room_id: str, event: str, data: WireModel) -> None:
        self.events.publish(webrtc_room(room_id), event, data)
