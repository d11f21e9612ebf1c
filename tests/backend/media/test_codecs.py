"""Keyframe detection and codec negotiation facts the SFU relies on."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from aiortc import RTCPeerConnection, RTCRtpCodecParameters, VideoStreamTrack
from aiortc.mediastreams import AudioStreamTrack

from backend.media.codecs import (
    is_keyframe,
    media_directions,
    only_codecs,
    preferences_for,
    starts_decoding,
)
from backend.media.server import MediaServer
from studio.core.encoder import VideoEncoder

# What Chromium 156 offers a WHEP server (video and audio, receive only) with its first ICE
# candidate: 34 video payload types (VP8, VP9, H.264, AV1, RED, FEC and their RTX), 8 audio.
CHROMIUM_OFFER = (Path(__file__).parent / "chromium_whep_offer.sdp").read_bytes().decode()
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


def test_keyframes_are_recognised_in_real_encoder_output() -> None:
    for codec in ("vp8", "h264"):
        encoder = VideoEncoder(codec)
        image = np.zeros((120, 160, 3), np.uint8)
        kinds = []
        for index in range(4):
            image[:, :, 1] = index * 40
            packet = encoder.encode(image, index * 3000, 300_000, 30.0, keyframe=index == 2)
            assert packet is not None
            kinds.append(is_keyframe(encoder.mime_type, memoryview(packet)))
        assert kinds == [True, False, True, False], codec


def test_a_decoder_starts_from_a_keyframe_only_with_its_parameter_sets() -> None:
    image = np.zeros((120, 160, 3), np.uint8)
    vp8 = VideoEncoder("vp8")
    key, delta = (vp8.encode(image, i * 3000, 300_000, 30.0, i == 0) for i in range(2))
    assert key is not None and delta is not None
    assert starts_decoding("video/VP8", memoryview(bytes(key)))
    assert not starts_decoding("video/VP8", memoryview(bytes(delta)))
    idr = VideoEncoder("h264").encode(image, 0, 300_000, 30.0, keyframe=True)
    assert idr is not None
    whole = bytes(idr)
    assert starts_decoding("video/H264", memoryview(whole))
    picture_only = whole[whole.rfind(b"\x00\x00\x01") :]  # the IDR slice without SPS and PPS
    assert is_keyframe("video/H264", memoryview(picture_only))
    assert not starts_decoding("video/H264", memoryview(picture_only))
    assert not starts_decoding("audio/opus", memoryview(b"\x01"))


def test_audio_frames_are_always_decodable() -> None:
    assert is_keyframe("audio/opus", memoryview(b"\x01\x02"))


def test_preferences_pin_the_publisher_codec() -> None:
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    names = [c.mimeType for c in preferences_for(vp8)]
    assert names == ["video/VP8", "video/rtx"]


def formats(sdp: str) -> list[list[str]]:
    """Each media line's payload types."""
    return [line.split()[3:] for line in sdp.splitlines() if line.startswith("m=")]


def payload_lines(sdp: str) -> set[str]:
    """The payload types that rtpmap, fmtp and rtcp-fb lines are about."""
    return set(re.findall(r"^a=(?:rtpmap|fmtp|rtcp-fb):(\d+) ", sdp, re.MULTILINE))


def test_a_viewer_offer_keeps_only_the_stream_codec_and_its_retransmission() -> None:
    pruned = only_codecs(CHROMIUM_OFFER, {"video": VP8, "audio": OPUS})
    assert formats(pruned) == [["96", "97"], ["111"]]
    assert payload_lines(pruned) == {"96", "97", "111"}
    assert "a=fmtp:97 apt=96\r\n" in pruned and "a=rtcp-fb:96 nack pli\r\n" in pruned
    # Everything that is not about a payload type stays, in its order.
    rest = [
        line
        for line in CHROMIUM_OFFER.splitlines()
        if not re.match(r"a=(rtpmap|fmtp|rtcp-fb):", line)
    ]
    kept = [line for line in pruned.splitlines() if not re.match(r"a=(rtpmap|fmtp|rtcp-fb):", line)]
    assert [line for line in kept if not line.startswith("m=")] == [
        line for line in rest if not line.startswith("m=")
    ]


def test_every_profile_of_an_h264_stream_stays_and_a_kind_without_the_codec_is_left_alone() -> None:
    pruned = only_codecs(CHROMIUM_OFFER, {"video": H264})
    h264 = re.findall(r"^a=rtpmap:(\d+) H264/", CHROMIUM_OFFER, re.MULTILINE)
    [video, audio] = formats(pruned)
    assert len(h264) == 8 and set(h264) < set(video) and len(video) == 16  # each with its RTX
    assert audio == formats(CHROMIUM_OFFER)[1]  # no audio codec named: untouched
    only_vp9 = CHROMIUM_OFFER.replace(" VP8/", " VP9/")
    assert only_codecs(only_vp9, {"video": VP8}) == only_vp9


def test_the_offered_directions_are_read_as_aiortc_reads_them() -> None:
    assert media_directions(CHROMIUM_OFFER) == [("video", "recvonly"), ("audio", "recvonly")]
    sdp = (
        "v=0\r\na=sendonly\r\n"  # at session level: aiortc does not read it
        "m=video 9 X 96\r\na=mid:0\r\n"
        "m=audio 9 X 111\r\na=inactive\r\na=sendrecv\r\n"  # the last one counts
    )
    assert media_directions(sdp) == [("video", None), ("audio", "sendrecv")]


async def test_the_pruned_offer_is_answered_with_the_codecs_the_whole_one_got() -> None:
    """The media server answers Chromium's offer with the publisher's VP8 and Opus under the
    payload types Chromium gave them, as it did before the offer was pruned."""
    media = MediaServer()
    publisher = RTCPeerConnection()
    publisher.addTrack(VideoStreamTrack())
    publisher.addTrack(AudioStreamTrack())
    try:
        await publisher.setLocalDescription(await publisher.createOffer())
        await media.publish("alice", "alice-id", publisher.localDescription.sdp)
        session = await media.play("alice", "viewer-id", CHROMIUM_OFFER)
        assert formats(session.answer) == [["96", "97"], ["111"]]
        assert "a=rtpmap:96 VP8/90000" in session.answer
        assert "a=rtpmap:111 opus/48000/2" in session.answer
    finally:
        await media.close()
        await publisher.close()
