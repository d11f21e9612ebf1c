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
from typing import Any, Protocol

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
from wire.events import WebRTC, webrtc_room
from wire.quality import LEVELS, Condition, NetworkSample, classify

STREAM_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,32}(~[A-Za-z0-9_-]{1,32})?$")
ROOM_PATTERN = re.compile(r"^[A-Za-z0-9_.:~-]{1,100}$")
MESH_LIMIT = 4
BATTLE_PREFIX = "battle-"
MULTIHOST_PREFIX = "multihost-"


def validate_stream_name(stream: str) -> None:
    if not STREAM_PATTERN.match(stream):
        raise InvalidInput("A stream is named after its owner: 'username' or 'username~label'.")


def owns_stream(stream: str, username: str) -> bool:
    return stream.split("~", 1)[0].lower() == username.lower()


def stream_urls(
    stream: str, whip: str = DEFAULT_WHIP_TEMPLATE, whep: str = DEFAULT_WHEP_TEMPLATE
) -> dict[str, str]:
    """Where a stream is published and played: the backend's WHIP/WHEP URL templates."""
    return {
        "streamId": stream,
        "whipUrl": media_url(whip, stream),
        "whepUrl": media_url(whep, stream),
        "watchUrl": f"/watch/{stream}",
    }


class Channel(Protocol):
    """Where a peer's events go (a hub connection)."""

    def send(self, event: str, data: dict[str, Any]) -> bool: ...


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
    stats: dict[str, Any] = field(default_factory=dict)
    joined_at: float = field(default_factory=time.time)

    def public(self, urls: Callable[[str], dict[str, str]] = stream_urls) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "username": self.username,
            **urls(self.stream_id),
            "audio": self.audio,
            "video": self.video,
            "quality": self.quality,
        }


@dataclass(frozen=True)
class Health:
    status: str  # healthy, degraded, poor
    condition: Condition
    issues: list[str]

    def public(self) -> dict[str, Any]:
        level = LEVELS[self.condition]
        return {
            "status": self.status,
            "quality": self.condition.name.lower(),
            "recommended": {
                "level": level.name,
                "label": level.label,
                "height": level.height,
                "fps": level.fps,
                "bitrate": level.bitrate,
            },
            "issues": self.issues,
        }


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

    def ice_servers(self, user_id: str) -> list[dict[str, str]]:
        """The STUN/TURN servers for this user's peer connections (TURN passwords short-lived)."""
        return ice_for_client(self._ice_servers, user_id)

    def stream_urls(self, stream: str) -> dict[str, str]:
        return stream_urls(stream, *self.media_templates)

    # ---- setup -----------------------------------------------------------------------
    def battle_setup(self, battle_id: str, user_id: str) -> dict[str, Any]:
        return self._group_setup(self.battle_hosts, "PK battles", battle_id, user_id, BATTLE_PREFIX)

    def multihost_setup(self, session_id: str, user_id: str) -> dict[str, Any]:
        return self._group_setup(
            self.session_hosts, "Multi-host sessions", session_id, user_id, MULTIHOST_PREFIX
        )

    def _group_setup(
        self, lookup: HostLookup | None, what: str, group_id: str, user_id: str, prefix: str
    ) -> dict[str, Any]:
        if lookup is None:
            raise NotFound(f"{what} are not available on this server.")
        hosts = lookup(group_id, user_id)
        room_id = prefix + group_id
        return {
            "roomId": room_id,
            "iceServers": self.ice_servers(user_id),
            "topology": topology(len(hosts)),
            "isHost": any(h.user_id == user_id for h in hosts),
            "hosts": [
                {
                    "userId": h.user_id,
                    "username": h.username,
                    **self.stream_urls(h.stream_id or h.username),
                    "live": (h.stream_id or h.username) in self.live_streams,
                    "joined": h.user_id in self.rooms.get(room_id, {}),
                }
                for h in hosts
            ],
        }

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
            {
                "roomId": room_id,
                "peers": [p.public(self.stream_urls) for p in others],
                "topology": now,
                "iceServers": self.ice_servers(user_id),
            },
        )
        for other in others:
            other.channel.send(
                WebRTC.PEER_JOINED,
                {"roomId": room_id, "peer": peer.public(self.stream_urls), "topology": now},
            )
        if now != before and len(peers) > 1:
            self._broadcast(
                room_id,
                WebRTC.RENEGOTIATION_NEEDED,
                {"roomId": room_id, "reason": "topology", "topology": now},
            )
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
            room_id, WebRTC.PEER_LEFT, {"roomId": room_id, "userId": user_id, "topology": now}
        )
        if now != before and peers:
            self._broadcast(
                room_id,
                WebRTC.RENEGOTIATION_NEEDED,
                {"roomId": room_id, "reason": "topology", "topology": now},
            )
        return True

    def peers(self, room_id: str) -> list[Peer]:
        return list(self.rooms.get(room_id, {}).values())

    def peer(self, room_id: str, user_id: str) -> Peer:
        peer = self.rooms.get(room_id, {}).get(user_id)
        if peer is None:
            raise NotFound("Join the room first.", code="not_in_room")
        return peer

    # ---- relay -----------------------------------------------------------------------
    def relay(self, event: str, room_id: str, from_id: str, to_id: str, payload: dict) -> None:
        """Pass an offer, answer, candidate or renegotiation request to one peer of the room."""
        sender = self.peer(room_id, from_id)
        target = self.rooms.get(room_id, {}).get(to_id)
        if target is None:
            raise NotFound("That peer is not in the room.", code="peer_not_found")
        target.channel.send(
            event,
            {**payload, "roomId": room_id, "from": sender.user_id, "username": sender.username},
        )

    def toggle_track(self, room_id: str, user_id: str, kind: str, enabled: bool) -> None:
        if kind not in ("audio", "video"):
            raise InvalidInput("kind is 'audio' or 'video'.")
        peer = self.peer(room_id, user_id)
        setattr(peer, kind, enabled)
        self._broadcast(
            room_id,
            WebRTC.TRACK_TOGGLED,
            {"roomId": room_id, "userId": user_id, "kind": kind, "enabled": enabled},
        )

    def change_layout(self, room_id: str, user_id: str, layout: str) -> None:
        self.peer(room_id, user_id)
        self._broadcast(
            room_id,
            WebRTC.LAYOUT_CHANGED,
            {"roomId": room_id, "userId": user_id, "layout": layout},
        )

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
                self._broadcast(
                    room_id,
                    WebRTC.PEER_QUALITY_CHANGED,
                    {"roomId": room_id, "userId": user_id, **health.public()},
                )
        return health

    def monitor(
        self, sample: NetworkSample, stats: dict[str, Any], room_id: str = "", user_id: str = ""
    ) -> Health:
        """Record a peer's statistics; warn the peer (and tell the room) when they are bad."""
        health = self._assess(sample)
        if room_id:
            peer = self.peer(room_id, user_id)
            peer.stats = stats
            self._broadcast(
                room_id, WebRTC.PEER_STATS, {"roomId": room_id, "userId": user_id, "stats": stats}
            )
            if health.condition <= Condition.FAIR:
                peer.channel.send(WebRTC.CONNECTION_WARNING, {"roomId": room_id, **health.public()})
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

    def _broadcast(self, room_id: str, event: str, data: dict[str, Any]) -> None:
        self.events.publish(webrtc_room(room_id), event, data)


def topology(hosts: int) -> str:
    return "mesh" if hosts <= MESH_LIMIT else "sfu"
