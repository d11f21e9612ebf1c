"""RTP packets for forwarded frames, written straight from a per-sender header template.

aiortc's sender builds an ``RtpPacket`` object for every packet, fills a ``HeaderExtensions``
object and serialises both. A forwarding sender writes the same bytes with one ``struct`` call
per packet: everything in its header but the sequence number, the timestamp, the marker bit and
the 3 bytes of the abs-send-time is the same for every packet it sends.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from aiortc.rtp import RTP_HISTORY_SIZE, HeaderExtensions, HeaderExtensionsMap

_HEADER = struct.Struct("!BBHLL")  # V=2 P X CC, M PT, sequence number, timestamp, SSRC
_EXTENSION_HEADER = struct.Struct("!HH")  # profile, length in 32-bit words
_VERSION_2 = 0x80
_HAS_EXTENSION = 0x10
_MARKER = 0x80
ABS_SEND_TIME_MAX = 0xFFFFFF


@dataclass(frozen=True)
class ExtensionTemplate:
    """The header extensions a forwarding sender writes on every packet: its mid and the
    abs-send-time, as far as the remote end negotiated them."""

    profile: int
    value: bytes  # as written with an abs-send-time of 0
    abs_send_time_at: int | None  # offset of the time's 3 bytes in ``value``, if written

    @classmethod
    def learn(cls, extensions_map: HeaderExtensionsMap, mid: str | None) -> ExtensionTemplate:
        """What ``extensions_map`` writes for ``mid``; the time's bytes are the ones that differ
        between two serialisations with different times."""
        profile, zeros = extensions_map.set(HeaderExtensions(mid=mid, abs_send_time=0))
        _, ones = extensions_map.set(HeaderExtensions(mid=mid, abs_send_time=ABS_SEND_TIME_MAX))
        differ = [index for index, (a, b) in enumerate(zip(zeros, ones, strict=True)) if a != b]
        return cls(profile, zeros, differ[0] if differ else None)

    def block(self, abs_send_time: int) -> bytes:
        """The header's extension part (empty when nothing was negotiated)."""
        if not self.value:
            return b""
        value = self.value
        at = self.abs_send_time_at
        if at is not None:
            value = value[:at] + abs_send_time.to_bytes(3) + value[at + 3 :]
        return _EXTENSION_HEADER.pack(self.profile, len(value) >> 2) + value


class RtpWriter:
    """One sender's RTP stream: numbers its packets and keeps the last ``RTP_HISTORY_SIZE`` of
    them (before SRTP) for retransmission, as header and payload: every subscriber's history
    shares the fanout's payloads."""

    def __init__(
        self,
        payload_type: int,
        ssrc: int,
        sequence_number: int,
        timestamp_origin: int,
        extensions: ExtensionTemplate,
    ) -> None:
        self.payload_type = payload_type
        self.ssrc = ssrc
        self.sequence_number = sequence_number  # of the next packet
        self.timestamp_origin = timestamp_origin
        self.extensions = extensions
        self.timestamp = timestamp_origin  # of the last frame written
        self.history: dict[int, tuple[bytes, bytes]] = {}
        self._first_byte = _VERSION_2 | (_HAS_EXTENSION if extensions.value else 0)

    def frame(self, payloads: list[bytes], timestamp: int, abs_send_time: int) -> list[bytes]:
        """The packets of one frame; the last one carries the marker bit."""
        timestamp = self.timestamp = (self.timestamp_origin + timestamp) & 0xFFFFFFFF
        extension = self.extensions.block(abs_send_time)
        first, ssrc, history = self._first_byte, self.ssrc, self.history
        sequence_number = self.sequence_number
        last = len(payloads) - 1
        packets = []
        for index, payload in enumerate(payloads):
            second = self.payload_type | _MARKER if index == last else self.payload_type
            header = _HEADER.pack(first, second, sequence_number, timestamp, ssrc) + extension
            history[sequence_number % RTP_HISTORY_SIZE] = (header, payload)
            packets.append(header + payload)
            sequence_number = (sequence_number + 1) & 0xFFFF
        self.sequence_number = sequence_number
        return packets

    def sent(self, sequence_number: int) -> bytes | None:
        """The packet sent with ``sequence_number``, if it is still in the history."""
        sent = self.history.get(sequence_number % RTP_HISTORY_SIZE)
        if sent is None or _HEADER.unpack_from(sent[0])[2] != sequence_number:
            return None
        return sent[0] + sent[1]
