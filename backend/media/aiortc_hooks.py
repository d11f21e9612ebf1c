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

:func:`check_compatible` verifies every assumption and raises :class:`AiortcChanged`; it runs
when the hooks are installed, so an aiortc upgrade that breaks them fails loudly at start-up.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import threading
import weakref
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCRtpReceiver, RTCRtpSender, rtcrtpreceiver

_WORKER_PARAMS = ["loop", "input_q", "output_q", "decode_error"]
_original_worker: Callable[..., None] | None = None
_encoded_queues: weakref.WeakSet[asyncio.Queue[Any]] = weakref.WeakSet()
_lock = threading.Lock()


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
    track = rtcrtpreceiver.RemoteStreamTrack(kind="video")
    if not isinstance(getattr(track, "_queue", None), asyncio.Queue):
        raise AiortcChanged("RemoteStreamTrack has no asyncio.Queue named _queue")


def install() -> None:
    """Replace the receiver's decoder worker (idempotent)."""
    global _original_worker
    with _lock:
        if _original_worker is not None:
            return
        check_compatible()
        _original_worker = rtcrtpreceiver.decoder_worker
        rtcrtpreceiver.decoder_worker = _worker


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
