"""SRTP protection of a forwarded frame's packets, back to back in one reused buffer.

``pylibsrtp.Session.protect`` allocates a length cell per packet, copies the packet into the
session's buffer, protects it and copies the result out as new bytes; a forwarding sender then
joined a frame's protected packets again for its one GSO send. :class:`FrameProtector` calls
libsrtp's ``srtp_protect`` on each packet where it lies in one buffer, one per thread (a frame
is protected and sent within one call on the event loop's thread, before the next), and hands
out views of the results: the same bytes as ``Session.protect`` (tested), for about three
quarters of the cost. It reaches into pylibsrtp's private ``Session._srtp`` (checked by
``aiortc_hooks.check_compatible``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from pylibsrtp import Error, Session
from pylibsrtp._binding import ffi, lib

SRTP_MAX_TRAILER = 16 + 128
"""What libsrtp may add to a packet at most (pylibsrtp's ``SRTP_MAX_TRAILER_LEN``)."""
BUFFER_BYTES = 1 << 20
"""The shared buffer: a 720p keyframe is well under 1 MiB."""


class FrameTooLarge(ValueError):
    """A frame's packets do not fit in the protection buffer."""


def has_session_handle(session: Session) -> bool:
    """Whether ``session`` still keeps libsrtp's handle where :class:`FrameProtector` reads it."""
    handle = getattr(session, "_srtp", None)
    return handle is not None and ffi.typeof(handle) == ffi.typeof("srtp_t *")


class FrameProtector:
    """Protects packets into a buffer of its own, one frame at a time."""

    def __init__(self, capacity: int = BUFFER_BYTES) -> None:
        self._cdata = ffi.new("char[]", capacity)
        self._buffer = ffi.buffer(self._cdata)
        self._view = memoryview(self._buffer)
        self._length = ffi.new("int *")

    def protect(self, session: Session, packets: Sequence[bytes]) -> list[memoryview]:
        """``session.protect`` of each packet, as views into this protector's buffer that stay
        valid until its next call."""
        handle = session._srtp[0]
        buffer, cdata, length, view = self._buffer, self._cdata, self._length, self._view
        capacity = len(buffer)
        protected = []
        offset = 0
        for packet in packets:
            size = len(packet)
            end = offset + size
            if end + SRTP_MAX_TRAILER > capacity:
                raise FrameTooLarge(f"a frame of over {capacity} bytes cannot be protected")
            buffer[offset:end] = packet
            length[0] = size
            status = lib.srtp_protect(handle, cdata + offset, length)
            if status:
                raise Error(f"srtp_protect failed ({status})")
            end = offset + length[0]
            protected.append(view[offset:end])
            offset = end
        return protected


_per_thread = threading.local()


def shared() -> FrameProtector:
    """This thread's protector: forwarding senders protect and send a frame within one call on
    their event loop's thread, so all of a loop's senders can use one."""
    protector: FrameProtector | None = getattr(_per_thread, "protector", None)
    if protector is None:
        protector = _per_thread.protector = FrameProtector()
    return protector
