"""The publisher's link statistics for the backend: ``webrtc:stats-update`` events.

The studio shows :class:`PublisherStatus` itself; the backend hears the same numbers (RTT,
loss, bitrate, frame rate) as the spec's ``webrtc:stats-update`` in the broadcaster's own
WebRTC room, ``stream-<stream>``. The backend records them (health metrics), passes them to
the room as ``webrtc:peer-stats`` and answers a poor link with ``webrtc:connection-warning``.
The room is joined again after every reconnection of the event link.
"""

from __future__ import annotations

import asyncio
import time

from studio.core.events import EventClient, LinkState
from studio.core.publisher import PublisherState, PublisherStatus
from wire.events import WebRTC
from wire.webrtc import JoinRoom, LinkReport, RoomOnly

REPORT_EVERY_S = 2.0


def stats_room(stream: str) -> str:
    return f"stream-{stream}"


def stats_payload(room_id: str, status: PublisherStatus) -> LinkReport:
    return LinkReport(
        room_id=room_id,
        rtt=None if status.rtt_ms is None else round(status.rtt_ms, 1),
        packet_loss=round(status.loss_pct, 2),
        bitrate=round(status.bitrate_kbps, 1),
        fps=round(status.fps, 1),
    )


class StatsReporter:
    """A publisher status listener (:meth:`Publisher.add_status_listener`) that reports."""

    def __init__(self, events: EventClient, stream: str, every_s: float = REPORT_EVERY_S) -> None:
        self.events = events
        self.stream = stream
        self.room_id = stats_room(stream)
        self.every_s = every_s
        self.sent = 0
        self._last = -every_s
        self._joined_on = 0  # the event link's connection number the room was joined on
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, status: PublisherStatus) -> None:
        now = time.monotonic()
        if status.state is not PublisherState.LIVE or now - self._last < self.every_s:
            return
        self._last = now
        task = asyncio.ensure_future(self._report(stats_payload(self.room_id, status)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._joined_on:
            await self.events.send(WebRTC.LEAVE_ROOM, RoomOnly(room_id=self.room_id))

    async def _report(self, payload: LinkReport) -> None:
        if self.events.state is not LinkState.CONNECTED:
            return
        if self._joined_on != self.events.connections:
            self._joined_on = self.events.connections
            joining = JoinRoom(room_id=self.room_id, stream_id=self.stream)
            await self.events.send(WebRTC.JOIN_ROOM, joining)
        await self.events.send(WebRTC.STATS_UPDATE, payload)
        self.sent += 1
