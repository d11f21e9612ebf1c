"""Several UDP datagrams to one address in one system call, with Linux UDP GSO (Linux >= 4.18).

A forwarded video frame becomes a few RTP packets for each subscriber, all of one size but the
last (after SRTP too). ``sendmsg`` with a ``UDP_SEGMENT`` control message hands them to the
kernel as one buffer, which cuts it back into the same datagrams (in the network card if it
can, in software otherwise), so the receiver gets exactly what separate sends would give it.

Where GSO cannot be used the datagrams go through the transport's ``sendto`` one by one, as
before: not Linux, a transport without a socket of its own (a TURN relay), a transport with
datagrams already waiting in its buffer (order is kept), a full socket buffer (EAGAIN: the
transport buffers them), and a socket that refuses GSO (EIO from a device without checksum
offload, EINVAL, ...), which is then not asked again.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

SOL_UDP = 17
UDP_SEGMENT = 103  # linux/udp.h
MAX_SEGMENTS = 64  # the kernel's UDP_MAX_SEGMENTS (raised to 128 only in recent kernels)
MAX_BYTES = 65000  # one UDP datagram's payload is at most 65,507 bytes (IPv4)
Datagram = bytes | memoryview
"""A datagram's bytes, or a view of them in a buffer that is reused after the send."""


def segment_runs(datagrams: Sequence[Datagram]) -> list[Sequence[Datagram]]:
    """Consecutive datagrams grouped so that each group can go as one GSO send: all of the
    first one's size but the last, which may be shorter, within the kernel's limits."""
    runs: list[Sequence[Datagram]] = []
    start = 0
    while start < len(datagrams):
        size = len(datagrams[start])
        end = start + 1
        total = size
        while end < len(datagrams) and end - start < MAX_SEGMENTS:
            length = len(datagrams[end])
            if length > size or total + length > MAX_BYTES:
                break
            end += 1
            total += length
            if length < size:
                break
        runs.append(datagrams[start:end])
        start = end
    return runs


class DatagramSender:
    """Sends datagrams through an asyncio datagram transport, with GSO where its socket allows.

    It sends on a duplicate of the transport's socket (asyncio gives out no socket to send
    on); :meth:`close` releases it, and it is released as soon as the transport closes.
    """

    def __init__(self) -> None:
        self._transport: asyncio.BaseTransport | None = None
        self._socket: socket.socket | None = None

    def send(
        self, transport: asyncio.DatagramTransport, datagrams: Sequence[Datagram], address: Any
    ) -> None:
        sock = self._gso_socket(transport) if len(datagrams) > 1 else None
        if sock is None:
            _send_each(transport, datagrams, address)
            return
        runs = segment_runs(datagrams)
        for index, run in enumerate(runs):
            if len(run) == 1:
                transport.sendto(bytes(run[0]), address)
            elif not self._send_run(sock, run, address):
                for rest in runs[index:]:
                    _send_each(transport, rest, address)
                return

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _gso_socket(self, transport: asyncio.DatagramTransport) -> socket.socket | None:
        if transport is not self._transport:
            self.close()
            self._transport = transport
            self._socket = _duplicate(transport)
        if self._socket is not None and transport.is_closing():
            self.close()
        if self._socket is None or _buffered(transport):
            return None
        return self._socket

    def _send_run(self, sock: socket.socket, run: Sequence[Datagram], address: Any) -> bool:
        segment = len(run[0]).to_bytes(2, sys.byteorder)
        try:
            sock.sendmsg([b"".join(run)], [(SOL_UDP, UDP_SEGMENT, segment)], 0, address)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            log.info("UDP GSO refused (%s): this socket sends datagrams one by one", exc)
            self.close()
            return False
        return True


def _send_each(
    transport: asyncio.DatagramTransport, datagrams: Sequence[Datagram], address: Any
) -> None:
    # Copies: the datagrams may be views of a buffer that is reused (``srtp_frames``), and a
    # transport keeps what it cannot send at once.
    for datagram in datagrams:
        transport.sendto(bytes(datagram), address)


def _buffered(transport: asyncio.BaseTransport) -> int:
    """Bytes waiting in the transport's own buffer (the socket was full when it last sent)."""
    return transport.get_write_buffer_size() if isinstance(transport, asyncio.WriteTransport) else 0


def _duplicate(transport: asyncio.BaseTransport) -> socket.socket | None:
    if sys.platform != "linux":
        return None
    sock = transport.get_extra_info("socket")
    if sock is None or sock.type != socket.SOCK_DGRAM:
        return None
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None
    duplicate = sock.dup()
    duplicate.setblocking(False)
    return duplicate
