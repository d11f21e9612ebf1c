"""How many people watch my stream right now (no Qt).

The backend counts the viewer pages in the stream's room and sends every change as
``stream:viewers`` to the room and to the streamer's own user room, which the studio's event
link is always in; a snapshot (``GET /api/streams/{stream}``) gives the count to start from,
and again after the event link reconnects (changes while it was down were missed).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from studio.core.api_client import ApiClient
from studio.core.events import EventClient, ServerEvent
from wire.events import Stream


class ViewerCount:
    """Follows the viewer count of ``stream``; ``on_change`` gets every new count."""

    def __init__(
        self, api: ApiClient, events: EventClient, stream: str, on_change: Callable[[int], None]
    ) -> None:
        self.api = api
        self.stream = stream
        self.on_change = on_change
        self.viewers: int | None = None
        self._heard = 0  # events so far: one that arrives during a fetch is newer than it
        self._unsubscribe = events.subscribe(self._event)

    async def refresh(self) -> None:
        """Fetch the count (on start and after a reconnection; events keep it current)."""
        heard = self._heard
        data = await self.api.request("GET", f"/api/streams/{quote(self.stream, safe='')}")
        if self._heard == heard:
            self._set(int(data.get("viewerCount") or 0))

    def close(self) -> None:
        self._unsubscribe()

    def _event(self, event: ServerEvent) -> None:
        if event.name != Stream.VIEWERS:
            return
        if str(event.data.get("stream", "")).lower() != self.stream.lower():
            return
        self._heard += 1
        self._set(int(event.data.get("viewers") or 0))

    def _set(self, viewers: int) -> None:
        self.viewers = viewers
        self.on_change(viewers)
