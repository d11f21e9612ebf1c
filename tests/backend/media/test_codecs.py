"""Keyframe detection and codec negotiation facts the SFU relies on."""

from __future__ import annotations

import numpy as np

from backend.media.codecs import is_keyframe, preferences_for
from studio.core.encoder import VideoEncoder


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


def test_audio_frames_are_always_decodable() -> None:
    assert is_keyframe("audio/opus", memoryview(b"\x01\x02"))


def test_preferences_pin_the_publisher_codec() -> None:
    from aiortc import RTCRtpCodecParameters

    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    names = [c.mimeType for c in preferences_for(vp8)]
    assert names == ["video/VP8", "video/rtx"]
