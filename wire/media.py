"""``GET /api/media/config``: where media goes and which STUN/TURN servers to use."""

from __future__ import annotations

from wire.base import WireModel, absent_when_none


class IceServer(WireModel):
    """An RTCPeerConnection ICE server; ``username``/``credential`` only when it needs them
    (left out, never null, when it has none)."""

    urls: str
    username: str | None = absent_when_none()
    credential: str | None = absent_when_none()


class MediaConfig(WireModel):
    """WHIP/WHEP URL templates (``{stream}`` filled in by the client) and ICE servers."""

    whip: str
    whep: str
    ice_servers: list[IceServer]
