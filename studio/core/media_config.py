"""Where a studio publishes: the backend's WHIP URL template and its STUN/TURN servers.

The backend may hand media to a dedicated node or an external WHIP/WHEP server
(`--whip-url`); every publisher (the window's Go Live, the headless studio) asks it first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urljoin

from aiortc import RTCIceServer

from studio.core.api_client import ApiClient


async def media_config(api: ApiClient) -> dict[str, Any]:
    """Where this backend wants media published (its WHIP template) and its STUN/TURN servers."""
    config: dict[str, Any] = await api.request("GET", "/api/media/config")
    return config


def media_url(backend: str, template: str, stream: str) -> str:
    """A WHIP or WHEP template with the stream filled in; a relative one is on the backend."""
    return urljoin(backend.rstrip("/") + "/", template.replace("{stream}", quote(stream, safe="")))


def ice_servers(config: dict[str, Any]) -> list[RTCIceServer]:
    return [
        RTCIceServer(s["urls"], s.get("username"), s.get("credential"))
        for s in config.get("iceServers", [])
    ]
