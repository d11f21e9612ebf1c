"""The one place that reaches into aiortc's private internals (written against aiortc 1.16).

Packet forwarding needs these things aiortc does not offer publicly:

* receive encoded frames: ``RTCRtpReceiver.receive`` starts ``rtcrtpreceiver.decoder_worker``
  in a thread that decodes every frame. We replace that module-level worker with one that,
  for tracks marked with :func:`receive_encoded`, hands the re-assembled frame on as an
  ``av.Packet`` (pts = RTP timestamp, time base 1/clock rate) instead of decoding it. Other
  tracks still decode.
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
* send forwarded frames cheaply: ``RTCRtpSender._run_rtp`` splits every frame with its own
  encoder's ``pack()``, builds an ``RtpPacket`` and a ``HeaderExtensions`` object per packet,
  serialises them and awaits four coroutines down to the socket for each. :func:`forward_with`
  replaces a sender's loop with one that takes each frame's payloads from the fanout (split once
  for every subscriber), writes the headers from a template (``rtp_writer``), protects them with
  the DTLS transport's SRTP session (``srtp_frames``: back to back in one buffer a thread) and
  hands a frame's packets to the nominated ICE pair's socket together (``udp_gso``: one
  system call where UDP GSO allows). It keeps what the stock loop keeps: the packet history
  that NACKs are answered from (through the stock ``_retransmit``, so RTX works as before),
  the packet/octet counts and timestamps of RTCP sender reports and ``getStats``, the
  transport's byte counts, the ``_enabled`` switch, and the end on a closed transport or
  track. A track that offers it (:class:`DirectTrack`) gets the loop's send function and calls
  it with each frame as it arrives, so no task is woken per subscriber and frame.
* a cheaper clock: aiortc computes ``clock.current_ntp_time()`` through ``datetime``
  arithmetic. :func:`install` swaps in :func:`current_ntp_time`, which gives the same value
  from ``time.time_ns()``.

:func:`check_compatible` verifies every assumption and raises :class:`AiortcChanged`; it runs
when the hooks are installed, so an aiortc upgrade that breaks them fails loudly at start-up.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

import av
from aioice.ice import Connection, StunProtocol
from aiortc import (
    MediaStreamTrack,
    RTCDtlsTransport,
    RTCIceTransport,
    RTCRtpCodecParameters,
    RTCRtpReceiver,
    RTCRtpSender,
    clock,
    rtcrtpreceiver,
)
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import State
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import RTP_HISTORY_SIZE, RtpPacket
from aiortc.utils import random32
from pylibsrtp import Session

from rtc import srtp_frames
from rtc.rtp_writer import ExtensionTemplate, RtpWriter
from rtc.udp_gso import DatagramSender

if TYPE_CHECKING:
    from av.stream import Stream

    EncodedFrame: TypeAlias = av.Packet[Stream]
    """An encoded frame as aiortc hands it on: an ``av.Packet`` of no container stream (PyAV
    types a packet by its stream; subscripting it works only for the type checker)."""

_WORKER_PARAMS = ["loop", "input_q", "output_q", "decode_error"]
_NTP_EPOCH_OFFSET_US = 2_208_988_800 * 1_000_000  # 1900-01-01 to 1970-01-01
_original_worker: Callable[..., None] | None = None
_encoded_queues: weakref.WeakSet[asyncio.Queue[Any]] = weakref.WeakSet()
_lock = threading.Lock()
log = logging.getLogger(__name__)


class Packer(Protocol):
    """Where a forwarding sender gets a frame's RTP payloads and timestamp (``Fanout.pack``,
    an aiortc ``Encoder.pack`` shared by every subscriber)."""

    def pack(self, packet: EncodedFrame) -> tuple[list[bytes], int]: ...


@runtime_checkable
class DirectTrack(Protocol):
    """A track that can hand its frames to a function the moment they exist instead of
    queueing them for ``recv`` (``ForwardedTrack``): a forwarding sender then sends each
    frame within the fanout's own loop, with no task of its own to wake per frame."""

    def send_with(self, sink: Callable[[EncodedFrame], None]) -> None: ...


class AiortcChanged(RuntimeError):
    """aiortc no longer has the private internals packet forwarding relies on."""


# (where, what its source must contain, what breaks otherwise): the forwarding sender loop's
# assumptions about the RTCRtpSender it replaces the loop of and the path down to the socket.
_SOURCE_ASSUMPTIONS: list[tuple[Callable[..., Any], str, str]] = [
    (RTCRtpSender.send, "self._run_rtp(parameters.codecs[0])", "starts no _run_rtp(codec)"),
    (RTCRtpSender._handle_rtcp_packet, "await self._retransmit(seq)", "answers no NACK"),
    (RTCRtpSender._retransmit, "self.__rtp_history.get(", "retransmits from no history"),
    (RTCRtpSender.__init__, "self.__rtp_history: dict[int, RtpPacket] = {}", "keeps no history"),
    (RTCRtpSender.__init__, "self.__rtp_started = asyncio.Event()", "has no __rtp_started"),
    (RTCRtpSender.__init__, "self.__rtp_exited = asyncio.Event()", "has no __rtp_exited"),
    (RTCRtpSender.__init__, "self.__mid: Optional[str] = None", "keeps no __mid"),
    (
        RTCRtpSender.__init__,
        "self.__rtp_header_extensions_map = rtp.HeaderExtensionsMap()",
        "keeps no __rtp_header_extensions_map",
    ),
    (RTCRtpSender.replaceTrack, "self.__track = track", "keeps no __track"),
    (RTCRtpSender._run_rtcp, "ntp_timestamp=self.__ntp_timestamp", "reports no __ntp_timestamp"),
    (RTCRtpSender._run_rtcp, "rtp_timestamp=self.__rtp_timestamp", "reports no __rtp_timestamp"),
    (RTCRtpSender._run_rtcp, "self.__packet_count & 0xFFFFFFFF", "reports no __packet_count"),
    (RTCRtpSender._run_rtcp, "self.__octet_count & 0xFFFFFFFF", "reports no __octet_count"),
    (RTCDtlsTransport._send_rtp, "self._state != State.CONNECTED", "sends in another state"),
    (RTCDtlsTransport._send_rtp, "data = self._tx_srtp.protect(data)", "protects otherwise"),
    (RTCDtlsTransport._send_rtp, "await self.transport._send(data)", "sends otherwise"),
    (RTCDtlsTransport._send_rtp, "self.__tx_bytes += len(data)", "counts no __tx_bytes"),
    (RTCDtlsTransport._send_rtp, "self.__tx_packets += 1", "counts no __tx_packets"),
    (RTCIceTransport.__init__, "self._send = self._connection.send", "sends otherwise"),
    (Connection.sendto, "active_pair = self._nominated.get(component)", "picks no pair"),
    (
        Connection.sendto,
        "await active_pair.protocol.send_data(data, active_pair.remote_addr)",
        "sends otherwise",
    ),
    (StunProtocol.send_data, "self.transport.sendto(data, addr)", "sends otherwise"),
    # the studio's publisher hands aiortc packets it encoded itself
    (
        RTCRtpSender._next_encoded_frame,
        "self.__encoder.pack(data)",
        "no longer sends pre-encoded packets with pack()",
    ),
]


_verified = False  # check_compatible() passed in this process


def check_compatible() -> None:
    for function, snippet, problem in _SOURCE_ASSUMPTIONS:
        if snippet not in inspect.getsource(function):
            raise AiortcChanged(f"{function.__qualname__} {problem} (no '{snippet}')")
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
    track = rtcrtpreceiver.RemoteStreamTrack(kind="video")
    if not isinstance(getattr(track, "_queue", None), asyncio.Queue):
        raise AiortcChanged("RemoteStreamTrack has no asyncio.Queue named _queue")
    if not srtp_frames.has_session_handle(Session()):
        raise AiortcChanged("pylibsrtp.Session no longer keeps libsrtp's handle as _srtp")
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
    _verify_once()
    sender._send_keyframe = callback  # type: ignore[method-assign]


def _verify_once() -> None:
    global _verified
    if not _verified:
        check_compatible()
        _verified = True


def forward_with(sender: RTCRtpSender, packer: Packer) -> None:
    """Make ``sender`` send the ``av.Packet`` frames its track yields through the forwarding
    loop (see the module's docstring), packetised by ``packer.pack``.

    Call it before negotiation: the sender starts its loop when it is negotiated.
    """
    install()
    loop = _ForwardingLoop(sender, packer)
    sender._run_rtp = loop.run  # type: ignore[method-assign]
    sender._retransmit = loop.retransmit  # type: ignore[method-assign]


def current_ntp_time() -> int:
    """``aiortc.clock.current_ntp_time`` (64-bit NTP, microsecond resolution) without datetime."""
    seconds, microseconds = divmod(time.time_ns() // 1000 + _NTP_EPOCH_OFFSET_US, 1_000_000)
    return (seconds << 32) | (microseconds << 32) // 1_000_000


async def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Send a PLI for every stream ``receiver`` currently gets."""
    for source in receiver.getSynchronizationSources():
        await receiver._send_rtcp_pli(source.source)


class _ForwardingLoop:
    """``RTCRtpSender._run_rtp`` and ``_retransmit`` for one forwarding sender."""

    def __init__(self, sender: RTCRtpSender, packer: Packer) -> None:
        self._sender = sender
        self._packer = packer
        self._writer: RtpWriter | None = None
        self._datagrams = DatagramSender()

    async def run(self, codec: RTCRtpCodecParameters) -> None:
        sender: Any = self._sender  # its private attributes are checked by check_compatible
        sender._RTCRtpSender__rtp_started.set()
        extensions = ExtensionTemplate.learn(
            sender._RTCRtpSender__rtp_header_extensions_map, sender._RTCRtpSender__mid
        )
        assert codec.payloadType is not None  # a negotiated codec has one
        self._writer = RtpWriter(
            codec.payloadType, sender._ssrc, random_sequence_number(), random32(), extensions
        )
        try:
            while True:
                track = sender.track
                if track is None:
                    await asyncio.sleep(0.02)
                    continue
                if isinstance(track, DirectTrack):
                    track.send_with(self._deliver)  # recv() now returns only at the end
                frame = await track.recv()
                self._deliver(frame)
        except (ConnectionError, MediaStreamError):
            pass
        except Exception:
            log.exception("forwarding %s sender stopped", sender.kind)
        finally:
            self._datagrams.close()
            if sender.track is not None:
                sender.track.stop()
                sender._RTCRtpSender__track = None
            sender._RTCRtpSender__rtp_exited.set()

    def _deliver(self, frame: EncodedFrame) -> None:
        sender: Any = self._sender
        if not sender._enabled or self._writer is None:
            return
        payloads, timestamp = self._packer.pack(frame)
        if payloads:
            self._send(self._writer, payloads, timestamp)

    def _send(self, writer: RtpWriter, payloads: list[bytes], timestamp: int) -> None:
        sender: Any = self._sender
        dtls: Any = sender.transport
        if dtls._state != State.CONNECTED:
            raise ConnectionError("Cannot send encrypted RTP, not connected")
        pair = dtls.transport._connection._nominated.get(1)
        if pair is None:
            raise ConnectionError("Cannot send data, not connected")
        ntp = current_ntp_time()
        packets = writer.frame(payloads, timestamp, (ntp >> 14) & 0xFFFFFF)
        datagrams = srtp_frames.shared().protect(dtls._tx_srtp, packets)
        self._datagrams.send(pair.protocol.transport, datagrams, pair.remote_addr)
        sender._RTCRtpSender__ntp_timestamp = ntp
        sender._RTCRtpSender__rtp_timestamp = writer.timestamp
        sender._RTCRtpSender__octet_count += sum(map(len, payloads))
        sender._RTCRtpSender__packet_count += len(payloads)
        dtls._RTCDtlsTransport__tx_bytes += sum(map(len, datagrams))
        dtls._RTCDtlsTransport__tx_packets += len(datagrams)

    async def retransmit(self, sequence_number: int) -> None:
        """Answer a NACK with aiortc's own ``_retransmit`` (RTX when negotiated), given the
        packet as aiortc would have kept it."""
        packet = self._writer.sent(sequence_number) if self._writer is not None else None
        if packet is None:
            return
        sender: Any = self._sender
        parsed = RtpPacket.parse(packet, sender._RTCRtpSender__rtp_header_extensions_map)
        sender._RTCRtpSender__rtp_history[sequence_number % RTP_HISTORY_SIZE] = parsed
        await RTCRtpSender._retransmit(self._sender, sequence_number)


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
        item: EncodedFrame | None = None
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
