"""Where a studio publishes: the backend's WHIP URL template and its STUN/TURN servers.

The backend may hand media to a dedicated node or an external WHIP/WHEP server
(`--whip-url`); every publisher (the window's Go Live, the headless studio) asks it first.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin

from aiortc import RTCIceServer

from studio.core.api_client import ApiClient
from wire.media import MediaConfig


async def media_config(api: ApiClient) -> MediaConfig:
    """Where this backend wants media published (its WHIP template) and its STUN/TURN servers."""
    return MediaConfig.model_validate(await api.request("GET", "/api/media/config"))


def media_url(backend: str, template: str, stream: str) -> str:
    """A WHIP or WHEP template with the stream filled in; a relative one is on the backend."""
    return urljoin(backend.rstrip("/") + "/", template.replace("{stream}", quote(stream, safe="")))


def ice_servers(config: MediaConfig) -> list[RTCIceServer]:
    return [RTCIceServer(s.urls, s.username, s.credential) for s in config.ice_servers]
