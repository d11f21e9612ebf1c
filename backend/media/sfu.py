"""Selective forwarding: one publisher track's encoded frames go to every subscriber as they are.

A :class:`Fanout` exists per stream and media kind and outlives publisher sessions, so when a
publisher reconnects its subscribers keep their peer connections: the new source's timestamps
are rebased to continue the old ones and a keyframe is requested. Each subscriber has a small
queue of its own; a subscriber that falls behind loses its backlog and waits for the next
keyframe instead of slowing the others or growing memory.

Every subscriber's sender packetises the frames it forwards with :meth:`Fanout.pack`, which
splits each frame once and hands all of them the same payloads (see
``aiortc_hooks.forward_with``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from fractions import Fraction
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCRtpCodecParameters
from aiortc.codecs import get_encoder
from aiortc.codecs.base import Encoder
from aiortc.mediastreams import MediaStreamError

from backend.media.codecs import is_keyframe

log = logging.getLogger(__name__)

KeyframeRequest = Callable[[], Coroutine[Any, Any, None]]
VIDEO_QUEUE = 10  # frames (~1/3 s): a subscriber further behind waits for a keyframe
AUDIO_QUEUE = 50
KEYFRAME_REQUEST_INTERVAL = 0.3  # seconds between PLIs sent to the publisher


class ForwardedTrack(MediaStreamTrack):
    """What one subscriber's sender reads: the publisher's packets, never re-encoded."""

    def __init__(self, fanout: Fanout) -> None:
        super().__init__()
        self.kind = fanout.kind
        self._fanout = fanout
        self._queue: asyncio.Queue[av.Packet | None] = asyncio.Queue(_queue_size(self.kind))
        self.needs_keyframe = fanout.kind == "video"
        self.forwarded = 0
        self.dropped = 0

    def push(self, packet: av.Packet, keyframe: bool) -> None:
        if self.needs_keyframe:
            if not keyframe:
                self.dropped += 1
                return
            self.needs_keyframe = False
        if self._queue.full():
            self.dropped += self._queue.qsize()
            self._drain()
            if self.kind == "video":
                self.needs_keyframe = not keyframe
                if self.needs_keyframe:
                    self._fanout.request_keyframe()
                    self.dropped += 1
                    return
        self._queue.put_nowait(packet)

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._queue.get()
        if packet is None:
            raise MediaStreamError
        self.forwarded += 1
        return packet

    def keyframe_requested(self) -> None:
        """The subscriber lost picture data (PLI/FIR): ask the publisher for a keyframe."""
        self._fanout.request_keyframe()

    def stop(self) -> None:
        if self.readyState == "ended":
            return
        super().stop()
        self._fanout.unsubscribe(self)
        self._drain()
        self._queue.put_nowait(None)

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()


class Fanout:
    """Copies packets from the current source track to every subscribed track."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.mime_type = ""
        self.subscribers: set[ForwardedTrack] = set()
        self.packets_in = 0
        self._source_task: asyncio.Task[None] | None = None
        self._request: KeyframeRequest | None = None
        self._request_task: asyncio.Task[None] | None = None
        self._last_request = -KEYFRAME_REQUEST_INTERVAL
        self._last_pts: int | None = None
        self._step = 0
        self._offset = 0
        self._rebase = False
        self._packer: tuple[str, Encoder] | None = None
        self._packed: OrderedDict[int, tuple[av.Packet, list[bytes], int]] = OrderedDict()

    @property
    def live(self) -> bool:
        return self._source_task is not None and not self._source_task.done()

    def attach(self, track: MediaStreamTrack, mime_type: str, request: KeyframeRequest) -> None:
        """Start forwarding from a publisher's track (it yields ``av.Packet``)."""
        self.detach()
        self.mime_type = mime_type
        self._request = request
        self._rebase = True
        self._source_task = asyncio.create_task(self._pump(track), name=f"sfu-{self.kind}")
        for subscriber in self.subscribers:
            subscriber.needs_keyframe = self.kind == "video"
        self.request_keyframe()

    def detach(self) -> None:
        task, self._source_task = self._source_task, None
        self._request = None
        if task is not None:
            task.cancel()
        if self._request_task is not None:
            self._request_task.cancel()
            self._request_task = None

    def subscribe(self) -> ForwardedTrack:
        track = ForwardedTrack(self)
        self.subscribers.add(track)
        self.request_keyframe()
        return track

    def unsubscribe(self, track: ForwardedTrack) -> None:
        self.subscribers.discard(track)

    def pack(self, packet: av.Packet) -> tuple[list[bytes], int]:
        """RTP payloads and timestamp of a forwarded frame, split once for every subscriber.

        A VP8 picture id then counts the publisher's frames; a subscriber that skipped some
        sees it jump, which is what the id is for.
        """
        cached = self._packed.get(id(packet))
        if cached is not None and cached[0] is packet:
            return cached[1], cached[2]
        payloads, timestamp = self._encoder().pack(packet)
        self._packed[id(packet)] = (packet, payloads, timestamp)
        if len(self._packed) > _queue_size(self.kind) + 1:
            self._packed.popitem(last=False)
        return payloads, timestamp

    def _encoder(self) -> Encoder:
        if self._packer is None or self._packer[0] != self.mime_type:
            rate = 90000 if self.kind == "video" else 48000
            codec = RTCRtpCodecParameters(mimeType=self.mime_type, clockRate=rate)
            self._packer = (self.mime_type, get_encoder(codec))
        return self._packer[1]

    def request_keyframe(self) -> None:
        if self.kind != "video" or self._request is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_request < KEYFRAME_REQUEST_INTERVAL:
            return
        if self._request_task is not None and not self._request_task.done():
            return
        self._last_request = loop.time()
        self._request_task = loop.create_task(self._request())

    async def _pump(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                packet = await track.recv()
                assert isinstance(packet, av.Packet)
                self._forward(packet)
        except (MediaStreamError, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("forwarding %s stopped", self.kind)

    def _forward(self, packet: av.Packet) -> None:
        pts = packet.pts or 0
        if self._rebase:
            self._rebase = False
            self._step = _frame_step(self.kind, packet.time_base)
            resume = 0 if self._last_pts is None else self._last_pts + self._step
            self._offset = resume - pts
        packet.pts = pts + self._offset
        self._last_pts = packet.pts
        self.packets_in += 1
        keyframe = is_keyframe(self.mime_type, memoryview(packet))
        for subscriber in tuple(self.subscribers):
            subscriber.push(packet, keyframe)

    async def close(self) -> None:
        task = self._source_task
        self.detach()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subscriber in tuple(self.subscribers):
            subscriber.stop()


def _queue_size(kind: str) -> int:
    return VIDEO_QUEUE if kind == "video" else AUDIO_QUEUE


def _frame_step(kind: str, time_base: Fraction | None) -> int:
    """One frame's duration in the track's clock: 1/30 s of video, 20 ms of audio."""
    rate = 1 / time_base if time_base else Fraction(90000 if kind == "video" else 48000)
    return int(rate / 30) if kind == "video" else int(rate / 50)
