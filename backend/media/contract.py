"""The ``webrtc:*`` event names of the spec, for the backend, the studio and the viewer page."""

from __future__ import annotations


class WebRTC:
    # room management
    JOIN_ROOM = "webrtc:join-room"
    LEAVE_ROOM = "webrtc:leave-room"
    PEER_JOINED = "webrtc:peer-joined"
    PEER_LEFT = "webrtc:peer-left"
    EXISTING_PEERS = "webrtc:existing-peers"
    # signaling
    OFFER = "webrtc:offer"
    ANSWER = "webrtc:answer"
    ICE_CANDIDATE = "webrtc:ice-candidate"
    # PK battle
    START_PK_BATTLE = "webrtc:start-pk-battle"
    PK_BATTLE_READY = "webrtc:pk-battle-ready"
    # multi-host
    START_MULTIHOST = "webrtc:start-multihost"
    MULTIHOST_READY = "webrtc:multihost-ready"
    TOGGLE_TRACK = "webrtc:toggle-track"
    TRACK_TOGGLED = "webrtc:track-toggled"
    CHANGE_LAYOUT = "webrtc:change-layout"
    LAYOUT_CHANGED = "webrtc:layout-changed"
    # quality and monitoring
    ADAPT_QUALITY = "webrtc:adapt-quality"
    QUALITY_ADAPTED = "webrtc:quality-adapted"
    PEER_QUALITY_CHANGED = "webrtc:peer-quality-changed"
    HEALTH_CHECK = "webrtc:health-check"
    HEALTH_STATUS = "webrtc:health-status"
    CONNECTION_WARNING = "webrtc:connection-warning"
    STATS_UPDATE = "webrtc:stats-update"
    PEER_STATS = "webrtc:peer-stats"
    # renegotiation
    RENEGOTIATE = "webrtc:renegotiate"
    RENEGOTIATION_NEEDED = "webrtc:renegotiation-needed"
    # errors
    ERROR = "webrtc:error"
