"""Real-time video encoding (VP8 by default, H264 ultrafast/zerolatency) with PyAV.

The publisher encodes itself instead of letting aiortc do it, so the quality controller sets
resolution, frame rate and bitrate directly; aiortc then only packetizes the packets.
"""

from __future__ import annotations

import multiprocessing
from fractions import Fraction
from typing import TYPE_CHECKING

import av
import cv2
import numpy as np

from studio.core.sources import Image

if TYPE_CHECKING:
    from rtc.aiortc_hooks import EncodedFrame

VIDEO_TIME_BASE = Fraction(1, 90000)
KEYFRAME_INTERVAL_S = 4.0  # a safety net; keyframes normally follow viewers' PLIs
CODECS = {"vp8": "libvpx", "h264": "libx264"}


class VideoEncoder:
    """Encodes BGR frames into single packets; reopens itself when size or bitrate changes."""

    def __init__(self, codec: str = "vp8") -> None:
        if codec not in CODECS:
            raise ValueError(f"unsupported codec {codec!r}; choose from {sorted(CODECS)}")
        self.codec = codec
        self.mime_type = f"video/{'VP8' if codec == 'vp8' else 'H264'}"
        self._context: av.VideoCodecContext | None = None
        self._settings: tuple[int, int, int, float] | None = None

    def encode(
        self, image: Image, pts: int, bitrate: int, fps: float, keyframe: bool = False
    ) -> EncodedFrame | None:
        """Encode one frame (``pts`` in 1/90000 s); None if the rate control dropped it."""
        height, width = image.shape[:2]
        settings = (width, height, bitrate, fps)
        if self._settings is None or _needs_reopen(self._settings, settings):
            self._context = self._open(width, height, bitrate, fps)
            self._settings = settings
            keyframe = True
        assert self._context is not None
        yuv = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), np.uint8)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        if keyframe:
            frame.pict_type = av.video.frame.PictureType.I
        data = b"".join(bytes(p) for p in self._context.encode(frame))
        if not data:
            return None
        packet = av.Packet(data)
        packet.pts = pts
        packet.time_base = VIDEO_TIME_BASE
        return packet

    def _open(self, width: int, height: int, bitrate: int, fps: float) -> av.VideoCodecContext:
        context = av.CodecContext.create(CODECS[self.codec], "w")
        assert isinstance(context, av.VideoCodecContext)
        context.width = width
        context.height = height
        context.pix_fmt = "yuv420p"
        context.time_base = VIDEO_TIME_BASE
        context.framerate = Fraction(round(fps * 1000), 1000)
        context.bit_rate = bitrate
        context.gop_size = int(KEYFRAME_INTERVAL_S * fps)
        context.thread_count = _threads(width * height, multiprocessing.cpu_count())
        if self.codec == "vp8":
            context.qmin = 2
            context.qmax = 56
            context.options = {
                "bufsize": str(bitrate),
                "cpu-used": "-6",
                "deadline": "realtime",
                "lag-in-frames": "0",
                "minrate": str(bitrate),
                "maxrate": str(bitrate),
                "noise-sensitivity": "0",  # the denoiser costs ~5 ms a 720p frame
                "overshoot-pct": "15",
                "partitions": "0",
                "static-thresh": "1",
                "undershoot-pct": "100",
            }
        else:
            context.profile = "Baseline"
            context.options = {
                "preset": "ultrafast",
                "tune": "zerolatency",
                "level": "31",
                "maxrate": str(bitrate),
                "bufsize": str(bitrate),
            }
        return context


def _threads(pixels: int, cpus: int) -> int:
    """Encoder threads: libvpx threads cost more CPU than they save on small machines."""
    if pixels >= 1920 * 1080 and cpus > 8:
        return 8
    if pixels > 1280 * 960 and cpus >= 6:
        return 3
    return 2 if pixels > 640 * 480 and cpus >= 3 else 1


def _needs_reopen(old: tuple[int, int, int, float], new: tuple[int, int, int, float]) -> bool:
    if old[0] != new[0] or old[1] != new[1] or old[3] != new[3]:
        return True
    return abs(new[2] - old[2]) > 0.1 * old[2]
