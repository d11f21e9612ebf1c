"""Forwarded packets written from a header template are the bytes aiortc's sender would write."""

from __future__ import annotations

from aiortc import RTCRtpParameters
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters
from aiortc.rtp import RTP_HISTORY_SIZE, HeaderExtensions, HeaderExtensionsMap, RtpPacket

from rtc.rtp_writer import ExtensionTemplate, RtpWriter

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
NEGOTIATIONS: tuple[list[str], ...] = (
    [MID, ABS_SEND_TIME, AUDIO_LEVEL],
    [MID, ABS_SEND_TIME],
    [MID],
    [ABS_SEND_TIME],
    [],
)


def _configured(uris: list[str]) -> HeaderExtensionsMap:
    extensions = [RTCRtpHeaderExtensionParameters(id=i + 1, uri=u) for i, u in enumerate(uris)]
    extensions_map = HeaderExtensionsMap()
    extensions_map.configure(RTCRtpParameters(headerExtensions=extensions))
    return extensions_map


def _aiortc_packet(
    extensions_map: HeaderExtensionsMap,
    mid: str,
    sequence_number: int,
    timestamp: int,
    abs_send_time: int,
    payload: bytes,
    marker: bool,
) -> bytes:
    """What ``RTCRtpSender._run_rtp`` sends (before SRTP) for the same packet."""
    packet = RtpPacket(payload_type=96, sequence_number=sequence_number, timestamp=timestamp)
    packet.ssrc = 0x1234ABCD
    packet.payload = payload
    packet.marker = int(marker)
    packet.extensions.abs_send_time = abs_send_time
    packet.extensions.mid = mid
    return packet.serialize(extensions_map)


def test_a_frame_is_written_as_aiortc_writes_it_whatever_was_negotiated() -> None:
    payloads = [b"\x90\x80\x12" + bytes(1200), b"\x80\x80\x12" + bytes(1200), b"\x80\x80\x12tail"]
    for uris in NEGOTIATIONS:
        for mid in ("0", "1", "video-mid-name"):
            for abs_send_time in (0, 1, 0x123456, 0xFFFFFF):
                extensions_map = _configured(uris)
                template = ExtensionTemplate.learn(extensions_map, mid)
                writer = RtpWriter(96, 0x1234ABCD, 65534, 0xFFFFF000, template)
                packets = writer.frame(payloads, 0x2000, abs_send_time)
                expected = [
                    _aiortc_packet(
                        extensions_map,
                        mid,
                        (65534 + index) % 65536,  # wraps
                        0x1000,  # the origin plus the frame's timestamp, wrapped
                        abs_send_time,
                        payload,
                        index == len(payloads) - 1,
                    )
                    for index, payload in enumerate(payloads)
                ]
                assert packets == expected, (uris, mid, abs_send_time)


def test_frames_continue_the_sequence_and_report_their_timestamp() -> None:
    template = ExtensionTemplate.learn(_configured([MID, ABS_SEND_TIME]), "0")
    writer = RtpWriter(111, 7, 100, 5000, template)
    first = writer.frame([b"a", b"b"], 0, 0)
    assert writer.timestamp == 5000
    second = writer.frame([b"c"], 960, 0)
    assert writer.timestamp == 5960
    numbers = [RtpPacket.parse(packet).sequence_number for packet in first + second]
    assert numbers == [100, 101, 102]
    assert writer.sequence_number == 103


def test_sent_packets_stay_retrievable_for_the_history_size() -> None:
    extensions_map = _configured([MID, ABS_SEND_TIME])
    writer = RtpWriter(96, 7, 0, 0, ExtensionTemplate.learn(extensions_map, "0"))
    payloads = [b"first", b"second"]
    first = writer.frame(payloads, 3000, 0x00ABCD)
    assert all(writer.history[n][1] is payloads[n] for n in (0, 1))  # shared, not copied
    assert writer.sent(0) == first[0]
    assert writer.sent(1) == first[1]
    parsed = RtpPacket.parse(first[1], extensions_map)
    assert (parsed.payload, parsed.marker, parsed.timestamp) == (b"second", 1, 3000)
    assert parsed.extensions == HeaderExtensions(mid="0", abs_send_time=0x00ABCD)
    writer.frame([b"x"] * (RTP_HISTORY_SIZE - 1), 6000, 0)
    assert writer.sent(1) == first[1]  # still among the last RTP_HISTORY_SIZE
    assert writer.sent(0) is None  # overwritten
    assert writer.sent(RTP_HISTORY_SIZE + 5) is None  # never sent
