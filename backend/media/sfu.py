"""Selective forwarding: one publisher track's encoded frames go to every subscriber as they are.

A :class:`Fanout` exists per stream and media kind and outlives publisher sessions, so when a
publisher reconnects its subscribers keep their peer connections: the new source's timestamps
are rebased to continue the old ones and a keyframe is requested. Once a subscriber's sender
runs, the fanout hands it each frame within its own loop (``ForwardedTrack.send_with``); until
then, or for a consumer that reads ``recv``, frames wait in a small queue of the subscriber's
own: one that falls behind loses its backlog and waits for the next keyframe instead of slowing
the others or growing memory. A keyframe that arrives while frames wait replaces them: a
decoder starts from it, so nothing before it is worth sending.

A new video subscriber does not wait for the publisher to answer its keyframe request before it
has a picture: it starts with the stream's latest keyframe, stamped as the newest frame, and
then drops frames until the keyframe it asked for arrives. The deltas after the cached
keyframe are never sent to it (they decode only on top of frames it never got), so the viewer
shows that picture until the new keyframe, never a corrupt one. Only a frame a decoder can
start from with nothing else (``codecs.starts_decoding``) is cached.

Every subscriber's sender packetises the frames it forwards with :meth:`ForwardedTrack.pack`:
:meth:`Fanout.pack` splits each frame once and hands every subscriber the same payloads (see
``aiortc_hooks.forward_with``); the cached keyframe a subscriber starts with is split apart, so
the shared VP8 picture ids the others see stay consecutive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import av
from aiortc import MediaStreamTrack, RTCRtpCodecParameters
from aiortc.codecs import get_encoder
from aiortc.codecs.base import Encoder
from aiortc.mediastreams import MediaStreamError

from backend.media.codecs import is_keyframe, starts_decoding

if TYPE_CHECKING:
    from rtc.aiortc_hooks import EncodedFrame

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
        self._queue: asyncio.Queue[EncodedFrame | None] = asyncio.Queue(_queue_size(self.kind))
        self.needs_keyframe = fanout.kind == "video"
        self.forwarded = 0
        self.dropped = 0
        self._sink: Callable[[EncodedFrame], None] | None = None
        self._cached: tuple[EncodedFrame, list[bytes], int] | None = None

    def send_with(self, sink: Callable[[EncodedFrame], None]) -> None:
        """Hand every packet to ``sink`` as it arrives (the subscriber's forwarding sender,
        ``aiortc_hooks.DirectTrack``) instead of queueing it for ``recv``, which then returns
        only when the track ends. A sink that raises ends the track. What waits in the queue
        (a keyframe, say, that came before the viewer's connection) goes first."""
        backlog = []
        while not self._queue.empty():
            backlog.append(self._queue.get_nowait())
        self._sink = sink
        for packet in backlog:
            if packet is None:
                self._queue.put_nowait(None)
            if packet is None or self.readyState == "ended":
                return
            self._send_now(sink, packet)

    def push(self, packet: EncodedFrame, keyframe: bool) -> None:
        if self.needs_keyframe:
            if not keyframe:
                self.dropped += 1
                return
            self.needs_keyframe = False
        if self._sink is not None:
            self._send_now(self._sink, packet)
            return
        if (keyframe and self.kind == "video") or self._queue.full():
            self.dropped += self._queue.qsize()
            self._drain()
            if not keyframe and self.kind == "video":
                self.dropped += 1
                self.start_from_cached_keyframe()
                return
        self._queue.put_nowait(packet)

    def start_from_cached_keyframe(self) -> None:
        """Queue the stream's latest keyframe (if there is one) as a picture to show at once,
        then wait for the next keyframe, asked for now: the frames in between would decode only
        on top of frames this subscriber never gets."""
        if self.kind != "video":
            return
        self.needs_keyframe = True
        self._fanout.request_keyframe()
        self._cached = self._fanout.latest_keyframe()
        if self._cached is not None:
            self._queue.put_nowait(self._cached[0])

    def pack(self, packet: EncodedFrame) -> tuple[list[bytes], int]:
        """The RTP payloads and timestamp of a frame this subscriber forwards."""
        if self._cached is not None and packet is self._cached[0]:
            return self._cached[1], self._cached[2]
        return self._fanout.pack(packet)

    def _send_now(self, sink: Callable[[EncodedFrame], None], packet: EncodedFrame) -> None:
        try:
            sink(packet)
            if self._cached is not None and packet is self._cached[0]:
                self._cached = None  # sent: its payloads are no longer needed
        except Exception as exc:  # a closed connection, or anything else: this viewer is done
            if not isinstance(exc, ConnectionError):
                log.exception("forwarding to a subscriber failed")
            self.stop()
            return
        self.forwarded += 1

    async def recv(self) -> EncodedFrame:
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
        self._cached = None
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
        self._packed: OrderedDict[int, tuple[EncodedFrame, list[bytes], int]] = OrderedDict()
        self._keyframe: EncodedFrame | None = None  # the latest one a decoder can start from

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
        self._keyframe = None  # the next source's stream has its own
        if task is not None:
            task.cancel()
        if self._request_task is not None:
            self._request_task.cancel()
            self._request_task = None

    def subscribe(self) -> ForwardedTrack:
        track = ForwardedTrack(self)
        self.subscribers.add(track)
        track.start_from_cached_keyframe()
        return track

    def unsubscribe(self, track: ForwardedTrack) -> None:
        self.subscribers.discard(track)

    def pack(self, packet: EncodedFrame) -> tuple[list[bytes], int]:
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

    def latest_keyframe(self) -> tuple[EncodedFrame, list[bytes], int] | None:
        """A copy of the latest keyframe a decoder can start from, stamped as the newest frame
        forwarded, with its RTP payloads and timestamp (split by a packer of its own, so the
        shared VP8 picture ids stay consecutive); None before the source sent one."""
        if self._keyframe is None or self._last_pts is None:
            return None
        copy = av.Packet(bytes(self._keyframe))
        copy.pts = self._last_pts
        copy.time_base = self._keyframe.time_base
        payloads, timestamp = self._new_encoder().pack(copy)
        return copy, payloads, timestamp

    def _encoder(self) -> Encoder:
        if self._packer is None or self._packer[0] != self.mime_type:
            self._packer = (self.mime_type, self._new_encoder())
        return self._packer[1]

    def _new_encoder(self) -> Encoder:
        rate = 90000 if self.kind == "video" else 48000
        return get_encoder(RTCRtpCodecParameters(mimeType=self.mime_type, clockRate=rate))

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

    def _forward(self, packet: EncodedFrame) -> None:
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
        if keyframe and starts_decoding(self.mime_type, memoryview(packet)):
            self._keyframe = packet
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
