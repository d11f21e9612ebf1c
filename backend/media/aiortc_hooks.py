"""The one place that reaches into aiortc's private internals (written against aiortc 1.16).

Packet forwarding needs three things aiortc does not offer publicly:

* receive encoded frames: ``RTCRtpReceiver.receive`` starts ``rtcrtpreceiver.decoder_worker``
  in a thread that decodes every frame. We replace that module-level worker with one that,
  for tracks marked with :func:`receive_encoded`, hands the re-assembled frame on as an
  ``av.Packet`` (pts = RTP timestamp, time base 1/clock rate) instead of decoding it. Other
  tracks still decode. ``RTCRtpSender`` already sends an ``av.Packet`` through the codec's
  ``pack()`` without encoding.
* hear a subscriber's keyframe request: PLI/FIR only set the sender's private force-keyframe
  flag, which is useless for packets. :func:`on_keyframe_request` routes it to a callback.
* ask a publisher for a keyframe: :func:`request_keyframe` sends a PLI through the
  receiver's private ``_send_rtcp_pli``.
* release a frame as soon as it is complete: aiortc's ``JitterBuffer`` hands a video frame on
  only when the first packet of the *next* frame arrives (one frame interval, 33 ms at 30 fps,
  at every receiver: the SFU and each viewer), and holds audio until four packets wait
  (80 ms). :class:`PromptJitterBuffer` releases a video frame when its last packet (RTP
  marker bit) arrives and an audio frame (always one packet) at once; :func:`install` makes
  every receiver built afterwards use it.
* packetise a forwarded frame once, not once per subscriber: each ``RTCRtpSender`` splits every
  frame with its own encoder's ``pack()``. :func:`pack_with` gives a sender the fanout's shared
  packer instead (the sender only builds its encoder when it has none), and a
  :class:`ForwardingExtensionsMap` that writes each packet's header extensions from a template.
* a cheaper clock: the sender reads ``clock.current_ntp_time()`` twice per RTP packet, and
  aiortc computes it through ``datetime`` arithmetic. :func:`install` swaps in
  :func:`current_ntp_time`, which gives the same value from ``time.time_ns()``.

:func:`check_compatible` verifies every assumption and raises :class:`AiortcChanged`; it runs
when the hooks are installed, so an aiortc upgrade that breaks them fails loudly at start-up.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
import time
import weakref
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Protocol

import av
from aiortc import MediaStreamTrack, RTCRtpReceiver, RTCRtpSender, clock, rtcrtpreceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import HeaderExtensions, HeaderExtensionsMap, RtpPacket

_WORKER_PARAMS = ["loop", "input_q", "output_q", "decode_error"]
_NTP_EPOCH_OFFSET_US = 2_208_988_800 * 1_000_000  # 1900-01-01 to 1970-01-01
_original_worker: Callable[..., None] | None = None
_encoded_queues: weakref.WeakSet[asyncio.Queue[Any]] = weakref.WeakSet()
_lock = threading.Lock()


class Packer(Protocol):
    """The part of an aiortc ``Encoder`` a sender uses for pre-encoded packets."""

    def pack(self, packet: av.Packet) -> tuple[list[bytes], int]: ...


class AiortcChanged(RuntimeError):
    """aiortc no longer has the private internals packet forwarding relies on."""


def check_compatible() -> None:
    worker = _original_worker or rtcrtpreceiver.decoder_worker
    params = list(inspect.signature(worker).parameters)
    if params != _WORKER_PARAMS:
        raise AiortcChanged(f"rtcrtpreceiver.decoder_worker takes {params}, not {_WORKER_PARAMS}")
    source = inspect.getsource(RTCRtpReceiver.receive)
    if "target=decoder_worker" not in source or "self._track._queue" not in source:
        raise AiortcChanged("RTCRtpReceiver.receive no longer starts decoder_worker on the track")
    if not inspect.iscoroutinefunction(getattr(RTCRtpReceiver, "_send_rtcp_pli", None)):
        raise AiortcChanged("RTCRtpReceiver._send_rtcp_pli is gone")
    if "self._send_keyframe()" not in inspect.getsource(RTCRtpSender._handle_rtcp_packet):
        raise AiortcChanged("RTCRtpSender no longer handles PLI/FIR through _send_keyframe")
    if "self.__encoder.pack(data)" not in inspect.getsource(RTCRtpSender._next_encoded_frame):
        raise AiortcChanged("RTCRtpSender no longer sends pre-encoded packets with pack()")
    if "if self.__encoder is None:" not in inspect.getsource(RTCRtpSender._next_encoded_frame):
        raise AiortcChanged("RTCRtpSender no longer builds its encoder only when it has none")
    if "self.__encoder: Optional[Encoder] = None" not in inspect.getsource(RTCRtpSender.__init__):
        raise AiortcChanged("RTCRtpSender keeps no private __encoder")
    if "self.__rtp_header_extensions_map = rtp.HeaderExtensionsMap()" not in inspect.getsource(
        RTCRtpSender.__init__
    ):
        raise AiortcChanged("RTCRtpSender no longer keeps a private __rtp_header_extensions_map")
    if "clock.current_ntp_time()" not in inspect.getsource(RTCRtpSender._run_rtp):
        raise AiortcChanged("RTCRtpSender no longer reads clock.current_ntp_time()")
    track = rtcrtpreceiver.RemoteStreamTrack(kind="video")
    if not isinstance(getattr(track, "_queue", None), asyncio.Queue):
        raise AiortcChanged("RemoteStreamTrack has no asyncio.Queue named _queue")
    if "JitterBuffer(" not in inspect.getsource(RTCRtpReceiver.__init__):
        raise AiortcChanged("RTCRtpReceiver no longer builds its JitterBuffer by name")
    buffer = JitterBuffer(capacity=4, is_video=True)
    if not hasattr(buffer, "_remove_frame") or not {"_origin", "_packets"} <= vars(buffer).keys():
        raise AiortcChanged("JitterBuffer no longer keeps _origin/_packets and _remove_frame")


class PromptJitterBuffer(JitterBuffer):
    """aiortc's jitter buffer, releasing each frame the moment its last packet is in.

    A video frame is complete when the packets from the oldest one waiting are contiguous,
    share one RTP timestamp and end with the marker bit (RFC 3550: the last packet of a
    frame); as before, a packet of the next frame also completes it (a sender that sets no
    marker). Audio packets are whole frames. Gaps still wait for retransmission.
    """

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        assert self._origin is not None
        packets: list[RtpPacket] = []
        for count in range(self.capacity):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is None:
                return None
            if packets and packet.timestamp != packets[0].timestamp:
                break
            packets.append(packet)
            if packet.marker or not self._is_video:
                break
        else:
            return None
        self.remove(len(packets))
        data = b"".join(p._data for p in packets)  # type: ignore[attr-defined]
        return JitterFrame(data=data, timestamp=packets[0].timestamp)


class ForwardingExtensionsMap(HeaderExtensionsMap):
    """aiortc's header extension map, with a template for what a sender writes on every packet.

    A video sender sets only its mid and the abs-send-time; their bytes differ from one packet
    to the next only in the 3 bytes of the time, found once per mid by serialising two times.
    Anything else takes aiortc's general path.
    """

    def __init__(self) -> None:
        super().__init__()
        self._template: tuple[str, int, bytes, int | None] | None = None

    def configure(self, parameters: Any) -> None:
        super().configure(parameters)
        self._template = None

    def set(self, values: HeaderExtensions) -> tuple[int, bytes]:
        if (
            values.abs_send_time is None
            or values.audio_level is not None
            or values.repaired_rtp_stream_id is not None
            or values.rtp_stream_id is not None
            or values.transmission_offset is not None
            or values.transport_sequence_number is not None
        ):
            return super().set(values)
        if self._template is None or self._template[0] != values.mid:
            self._template = self._learn(values.mid)
        _, profile, template, at = self._template
        if at is None:
            return profile, template
        return profile, template[:at] + values.abs_send_time.to_bytes(3) + template[at + 3 :]

    def _learn(self, mid: str) -> tuple[str, int, bytes, int | None]:
        profile, zeros = super().set(HeaderExtensions(mid=mid, abs_send_time=0))
        _, ones = super().set(HeaderExtensions(mid=mid, abs_send_time=0xFFFFFF))
        differ = [index for index, (a, b) in enumerate(zip(zeros, ones, strict=True)) if a != b]
        return mid, profile, zeros, differ[0] if differ else None


def install() -> None:
    """Replace the receiver's decoder worker and jitter buffer (idempotent)."""
    global _original_worker
    with _lock:
        if _original_worker is not None:
            return
        check_compatible()
        _original_worker = rtcrtpreceiver.decoder_worker
        rtcrtpreceiver.decoder_worker = _worker
        rtcrtpreceiver.JitterBuffer = PromptJitterBuffer  # type: ignore[misc]
        clock.current_ntp_time = current_ntp_time


def receive_encoded(track: MediaStreamTrack) -> None:
    """Make a remote track yield ``av.Packet`` instead of decoded frames.

    Call it from the peer connection's ``track`` event, before the transport connects.
    """
    install()
    if not isinstance(track, rtcrtpreceiver.RemoteStreamTrack):
        raise TypeError(f"not a remote track: {track!r}")
    _encoded_queues.add(track._queue)


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever the remote end of ``sender`` sends a PLI or FIR."""
    sender._send_keyframe = callback  # type: ignore[method-assign]


def pack_with(sender: RTCRtpSender, packer: Packer) -> None:
    """Make ``sender`` packetise the frames its track yields with ``packer.pack``, and write
    its header extensions with a :class:`ForwardingExtensionsMap`.

    Call it before negotiation (the sender configures the map then and builds an encoder of
    its own at its first frame only if it has none).
    """
    install()
    sender._RTCRtpSender__encoder = packer  # type: ignore[attr-defined]
    sender._RTCRtpSender__rtp_header_extensions_map = ForwardingExtensionsMap()  # type: ignore[attr-defined]


def current_ntp_time() -> int:
    """``aiortc.clock.current_ntp_time`` (64-bit NTP, microsecond resolution) without datetime."""
    seconds, microseconds = divmod(time.time_ns() // 1000 + _NTP_EPOCH_OFFSET_US, 1_000_000)
    return (seconds << 32) | (microseconds << 32) // 1_000_000


async def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send a PLI for every stream ``receiver`` currently gets."""
    for source in receiver.getSynchronizationSources():
        await receiver._send_rtcp_pli(source.source)


def _worker(
    loop: asyncio.AbstractEventLoop,
    input_q: queue.Queue[Any],
    output_q: asyncio.Queue[Any],
    decode_error: threading.Event,
) -> None:
    if output_q in _encoded_queues:
        _forward_encoded(loop, input_q, output_q)
    else:
        assert _original_worker is not None
        _original_worker(loop, input_q, output_q, decode_error)


def _forward_encoded(
    loop: asyncio.AbstractEventLoop, input_q: queue.Queue[Any], output_q: asyncio.Queue[Any]
) -> None:
    while True:
        task = input_q.get()
        item: av.Packet | None = None
        if task is not None:
            codec, encoded_frame = task
            item = av.Packet(encoded_frame.data)
            item.pts = encoded_frame.timestamp
            item.time_base = Fraction(1, codec.clockRate)
        try:
            loop.call_soon_threadsafe(output_q.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            return
        if item is None:
            return
