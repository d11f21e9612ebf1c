"""The studio's one reach into aiortc internals (aiortc 1.16): hearing keyframe requests.

The publisher sends packets it encoded itself, and aiortc only turns a receiver's PLI/FIR
into a private force-keyframe flag that its own encoder reads. :func:`on_keyframe_request`
routes the request to our encoder instead. :func:`check_compatible` fails loudly when an
aiortc upgrade changes this path.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from aiortc import RTCRtpSender


class AiortcChanged(RuntimeError):
    """aiortc's sender no longer reports keyframe requests the way this module expects."""


def check_compatible() -> None:
    if "self._send_keyframe()" not in inspect.getsource(RTCRtpSender._handle_rtcp_packet):
        raise AiortcChanged("RTCRtpSender no longer handles PLI/FIR through _send_keyframe")
    if "self.__encoder.pack(data)" not in inspect.getsource(RTCRtpSender._next_encoded_frame):
        raise AiortcChanged("RTCRtpSender no longer sends pre-encoded packets with pack()")


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever the receiver of ``sender``'s stream sends a PLI or FIR."""
    check_compatible()
    sender._send_keyframe = callback  # type: ignore[method-assign]
