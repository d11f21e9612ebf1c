"""The frame marker reads back after scaling and lossy coding."""

from __future__ import annotations

import av
import cv2
import numpy as np

from studio.core.encoder import VideoEncoder
from studio.core.marker import draw_marker, read_marker


def test_marker_survives_scaling_and_vp8() -> None:
    rng = np.random.default_rng(1)
    encoder = VideoEncoder("vp8")
    decoder = av.CodecContext.create("libvpx", "r")
    for index, value in enumerate((0, 1, 4242, 65535, 70000)):
        texture = rng.integers(-40, 40, (720, 1280, 3))
        gradient = np.linspace(60, 200, 1280)[None, :, None]
        image = np.clip(gradient + texture, 0, 255).astype(np.uint8)
        draw_marker(image, value)
        small = np.asarray(cv2.resize(image, (426, 240), interpolation=cv2.INTER_AREA), np.uint8)
        packet = encoder.encode(small, index * 3000, 300_000, 30.0)
        assert packet is not None
        (frame,) = decoder.decode(packet)
        decoded = np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
        assert read_marker(decoded) == value % 65536


def test_unmarked_frames_read_as_none() -> None:
    assert read_marker(np.full((240, 320, 3), 128, np.uint8)) is None
    assert read_marker(np.zeros((240, 320, 3), np.uint8)) is None
