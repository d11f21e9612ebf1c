"""Forwarded frames are packetised once for all subscribers, with aiortc's own packetiser."""

from __future__ import annotations

from fractions import Fraction

import av
from aiortc import clock
from aiortc.codecs.vpx import Vp8Encoder, VpxPayloadDescriptor

from backend.media.sfu import VIDEO_QUEUE, Fanout
from rtc import aiortc_hooks


def _packet(size: int, pts: int) -> av.Packet:
    packet = av.Packet(bytes(range(256)) * (size // 256))
    packet.pts = pts
    packet.time_base = Fraction(1, 90000)
    return packet


def _picture_id(payload: bytes) -> int | None:
    return VpxPayloadDescriptor.parse(payload)[0].picture_id


def test_every_subscriber_gets_the_same_payloads_of_a_frame() -> None:
    fanout = Fanout("video")
    fanout.mime_type = "video/VP8"
    frame = _packet(6400, 3000)
    first = fanout.pack(frame)
    assert fanout.pack(frame)[0] is first[0]
    assert first[1] == 3000
    expected = Vp8Encoder._packetize(bytes(frame), _picture_id(first[0][0]) or 0)
    assert first[0] == expected


def test_the_picture_id_advances_once_per_frame() -> None:
    fanout = Fanout("video")
    fanout.mime_type = "video/VP8"
    frames = [_packet(2048, index * 3000) for index in range(3)]
    ids = [_picture_id(fanout.pack(frame)[0][0]) for frame in frames * 2]
    start = ids[0]
    assert start is not None
    assert ids == [(start + step) % (1 << 15) for step in (0, 1, 2, 0, 1, 2)]


def test_the_cache_holds_only_what_a_subscriber_queue_can_hold() -> None:
    fanout = Fanout("video")
    fanout.mime_type = "video/VP8"
    oldest = _packet(512, 0)
    payloads = fanout.pack(oldest)[0]
    for index in range(1, VIDEO_QUEUE + 2):
        fanout.pack(_packet(512, index * 3000))
    assert fanout.pack(oldest)[0] is not payloads


def test_a_new_codec_gets_its_own_packetiser() -> None:
    fanout = Fanout("video")
    fanout.mime_type = "video/VP8"
    assert _picture_id(fanout.pack(_packet(512, 0))[0][0]) is not None
    fanout.mime_type = "video/H264"
    h264 = av.Packet(b"\x00\x00\x00\x01\x65" + b"\x88" * 500)
    h264.pts, h264.time_base = 3000, Fraction(1, 90000)
    payloads, _ = fanout.pack(h264)
    assert payloads == [b"\x65" + b"\x88" * 500]


def test_the_fast_ntp_clock_agrees_with_aiortcs() -> None:
    before = clock.datetime_to_ntp(clock.current_datetime())
    ours = aiortc_hooks.current_ntp_time()
    after = clock.datetime_to_ntp(clock.current_datetime())
    assert before <= ours <= after
