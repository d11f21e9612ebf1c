"""One H.264 + AAC encode per distinct setting, its packets shared by every output using it.

Three destinations at 720p 4.5 Mbps cost one encode, not three: the :class:`EncoderPool` keeps
one :class:`SharedEncoder` per :class:`EncodeSetting` while anything subscribes to it. The
encoder reads the program with ``Program.next()`` at the setting's frame rate, scales each
frame to the setting's canvas (letterboxed, so a vertical canvas keeps the picture whole),
encodes off the event loop (libx264: CBR-ish with maxrate and bufsize, a keyframe every
2 s, as the platforms require) and the audio track with AAC, and offers every packet to each
subscriber's :class:`PacketFeed`. A feed that cannot keep up drops packets (counted) and
resumes at the next keyframe, so a slow destination never slows the encoder or the others.

The encoders are streams of a template container that is never written to: muxers make
their own streams from them (``add_stream_from_template``), which carries the codec's
parameters (SPS/PPS as extradata) without opening a second encoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final

import av
import cv2
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from studio.core.audio import AudioFactory
from studio.core.frames import Program
from studio.core.muxer import EncodedPacket
from studio.core.sources import Image
from studio.core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

VIDEO_TIME_BASE: Final = Fraction(1, 90000)
AUDIO_RATE: Final = 48000
KEYFRAME_INTERVAL_S: Final = 2.0
FEED_CAPACITY: Final = 300  # packets (~4 s of video and audio) before a feed drops
X264_PRESETS: Final = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")


@dataclass(frozen=True)
class EncodeSetting:
    """What makes two outputs able to share one encode."""

    width: int = 1280
    height: int = 720
    video_kbps: int = 4500
    fps: int = 30
    audio_kbps: int = 160
    preset: str = "veryfast"

    def __post_init__(self) -> None:
        if self.width < 16 or self.height < 16 or self.width % 2 or self.height % 2:
            raise ValueError(f"{self.width}x{self.height}: width and height must be even, ≥ 16")
        if not 100 <= self.video_kbps <= 50_000:
            raise ValueError(f"{self.video_kbps} kbps: choose a bitrate of 100 to 50000 kbps")
        if not 1 <= self.fps <= 60:
            raise ValueError(f"{self.fps} fps: choose 1 to 60 frames a second")
        if self.preset not in X264_PRESETS:
            raise ValueError(f"unknown x264 preset {self.preset!r}; choose from {X264_PRESETS}")

    def describe(self) -> str:
        return f"{self.width}x{self.height} {self.fps} fps · {self.video_kbps} kbps H.264 + AAC"


class PacketFeed:
    """One subscriber's packets (thread-safe): the encoder offers, the output takes."""

    def __init__(self, encoder: SharedEncoder, capacity: int = FEED_CAPACITY) -> None:
        self.encoder = encoder
        self.dropped_frames = 0  # video frames lost because this feed fell behind
        self._queue: queue.Queue[EncodedPacket | None] = queue.Queue(capacity)
        self._waiting_for_keyframe = True
        self._fell_behind = False  # the frames skipped until the next keyframe count as lost
        self._paused = False
        self._closed = False

    def offer(self, packet: EncodedPacket) -> None:
        if self._closed or self._paused:
            return
        if self._waiting_for_keyframe:
            if not (packet.video and packet.keyframe):
                self.dropped_frames += packet.video and self._fell_behind
                return
            self._waiting_for_keyframe = self._fell_behind = False
        try:
            self._queue.put_nowait(packet)
        except queue.Full:
            self.dropped_frames += packet.video + self._discard()
            self._waiting_for_keyframe = self._fell_behind = True

    def take(self, timeout: float) -> EncodedPacket | None:
        """The next packet; None after ``timeout`` seconds without one or once closed."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def restart(self) -> None:
        """Forget what is queued and start again at the next keyframe (asked for at once):
        after a reconnection, what queued meanwhile is stale, not lost."""
        self._discard()
        self._waiting_for_keyframe, self._fell_behind = True, False
        self._paused = False
        self.encoder.request_keyframe()

    def pause(self) -> None:
        """Take nothing until :meth:`restart` (while the output reconnects)."""
        self._paused = True

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    @property
    def closed(self) -> bool:
        return self._closed

    def _discard(self) -> int:
        """Empty the queue; how many video frames it held."""
        frames = 0
        with contextlib.suppress(queue.Empty):
            while True:
                packet = self._queue.get_nowait()
                frames += packet is not None and packet.video
        return frames


@dataclass
class EncoderStats:
    frames: int = 0
    keyframes: int = 0
    encode_ms: float = 0.0  # moving average per video frame
    audio_packets: int = 0
    feeds: list[PacketFeed] = field(default_factory=list)


class SharedEncoder:
    """Encodes the program once for ``setting`` and offers the packets to every feed."""

    def __init__(self, program: Program, setting: EncodeSetting, audio: AudioFactory | None):
        self.program = program
        self.setting = setting
        self.audio = audio
        self.stats = EncoderStats()
        self._template = av.open(io.BytesIO(), "w", format="matroska")
        self.video_stream = self._add_video_stream()
        self.audio_stream = self._add_audio_stream() if audio is not None else None
        self._template.start_encoding()  # opens the codecs: the streams now carry extradata
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="shared-encoder")
        self._feeds: list[PacketFeed] = []
        self._force_keyframe = threading.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._track: MediaStreamTrack | None = None
        self._started_at = 0.0

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def subscribe(self) -> PacketFeed:
        """A new feed of this encode's packets, starting at the next keyframe (starts the
        encoder with its first feed; call on the event loop)."""
        feed = PacketFeed(self)
        self._feeds.append(feed)
        self.stats.feeds = list(self._feeds)
        if not self.running:
            self._start()
        self.request_keyframe()
        return feed

    def unsubscribe(self, feed: PacketFeed) -> None:
        feed.close()
        if feed in self._feeds:
            self._feeds.remove(feed)
        self.stats.feeds = list(self._feeds)

    @property
    def subscribers(self) -> int:
        return len(self._feeds)

    def request_keyframe(self) -> None:
        self._force_keyframe.set()

    def _start(self) -> None:
        self._started_at = time.monotonic()
        self._tasks = [asyncio.create_task(self._encode_video(), name="encode-video")]
        if self.audio is not None:
            self._tasks.append(asyncio.create_task(self._encode_audio(), name="encode-audio"))

    async def close(self) -> None:
        """Stop encoding and end every feed."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            await cancel_and_wait(task)
        if self._track is not None:
            self._track.stop()
        for feed in list(self._feeds):
            self.unsubscribe(feed)
        # The template container is not closed here: an output still connecting on its own
        # thread may be copying its streams' parameters. It goes (codecs and all) with the
        # last reference to this encoder.
        self._worker.shutdown(wait=False)

    # ---- video ------------------------------------------------------------------------
    def _add_video_stream(self) -> av.VideoStream:
        setting = self.setting
        bitrate = setting.video_kbps * 1000
        stream = self._template.add_stream("libx264", rate=setting.fps)
        stream.width, stream.height = setting.width, setting.height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = VIDEO_TIME_BASE
        stream.bit_rate = bitrate
        stream.codec_context.gop_size = int(KEYFRAME_INTERVAL_S * setting.fps)
        stream.codec_context.options = {
            "preset": setting.preset,
            "tune": "zerolatency",
            "profile": "high" if setting.height >= 720 else "main",
            "maxrate": str(bitrate),
            "bufsize": str(bitrate * 2),
            "x264-params": f"nal-hrd=cbr:force-cfr=0:keyint={stream.codec_context.gop_size}"
            f":min-keyint={stream.codec_context.gop_size}:scenecut=0",
        }
        return stream

    async def _encode_video(self) -> None:
        loop = asyncio.get_running_loop()
        fps = self.setting.fps
        seq, slot = 0, -1
        while True:
            try:
                frame = await self.program.next(seq)
            except EOFError:
                return
            seq = frame.seq
            # Timed by capture, as the audio is: effects and waiting must not delay the picture.
            at = (frame.captured_at - self._started_at) * fps  # in frame slots
            if at < slot + 0.5:  # the program runs faster than this setting: skip one
                continue
            slot = max(slot + 1, round(at))
            pts = round(slot / fps / VIDEO_TIME_BASE)
            packets = await loop.run_in_executor(self._worker, self._encode_image, frame.image, pts)
            self._offer(packets)

    def _encode_image(self, image: Image, pts: int) -> list[EncodedPacket]:
        started = time.perf_counter()
        canvas = letterbox(image, self.setting.width, self.setting.height)
        yuv = np.asarray(cv2.cvtColor(canvas, cv2.COLOR_BGR2YUV_I420), np.uint8)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        if self._force_keyframe.is_set():
            self._force_keyframe.clear()
            frame.pict_type = av.video.frame.PictureType.I
        packets = [_encoded(p, video=True) for p in self.video_stream.encode(frame)]
        cost = (time.perf_counter() - started) * 1000.0
        stats = self.stats
        stats.encode_ms = cost if stats.frames == 0 else 0.9 * stats.encode_ms + 0.1 * cost
        stats.frames += 1
        stats.keyframes += sum(p.keyframe for p in packets)
        return packets

    # ---- audio ------------------------------------------------------------------------
    def _add_audio_stream(self) -> av.AudioStream:
        stream = self._template.add_stream("aac", rate=AUDIO_RATE)
        stream.layout = "stereo"
        stream.bit_rate = self.setting.audio_kbps * 1000
        return stream

    async def _encode_audio(self) -> None:
        assert self.audio is not None and self.audio_stream is not None
        loop = asyncio.get_running_loop()
        try:
            track = self._track = await loop.run_in_executor(None, self.audio)
        except (OSError, ValueError, av.FFmpegError) as exc:
            log.warning("no audio for the shared encode: %s", exc)
            return
        samples: int | None = None
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                rate = frame.sample_rate
                if samples is None:  # audio starts where the video clock is now
                    samples = round((time.monotonic() - self._started_at) * rate)
                frame.pts, frame.time_base = samples, Fraction(1, rate)
                samples += frame.samples
                packets = await loop.run_in_executor(self._worker, self._encode_sound, frame)
                self._offer(packets)

    def _encode_sound(self, frame: av.AudioFrame) -> list[EncodedPacket]:
        assert self.audio_stream is not None
        packets = [_encoded(p, video=False) for p in self.audio_stream.encode(frame)]
        self.stats.audio_packets += len(packets)
        return packets

    def _offer(self, packets: list[EncodedPacket]) -> None:
        for packet in packets:
            for feed in self._feeds:
                feed.offer(packet)


def _encoded(packet: av.Packet[Any], *, video: bool) -> EncodedPacket:
    assert packet.pts is not None and packet.time_base is not None
    dts = packet.dts if packet.dts is not None else packet.pts
    return EncodedPacket(
        video, bytes(packet), packet.pts, dts, packet.time_base, bool(packet.is_keyframe)
    )


def letterbox(image: Image, width: int, height: int) -> Image:
    """``image`` scaled to fit width x height, centred on black (as it is when it fits)."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    scale = min(width / w, height / h)
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    scaled = cv2.resize(
        image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    canvas[top : top + size[1], left : left + size[0]] = scaled
    return canvas


class NoProgram(RuntimeError):
    """An output started before the broadcast had a source."""


class EncoderPool:
    """One :class:`SharedEncoder` per setting while anything uses it."""

    def __init__(
        self, program: Callable[[], Program | None], audio: Callable[[], AudioFactory | None]
    ):
        """``program`` and ``audio`` give the broadcast's current program and audio."""
        self._program = program
        self._audio = audio
        self._encoders: dict[EncodeSetting, SharedEncoder] = {}

    @property
    def encoders(self) -> dict[EncodeSetting, SharedEncoder]:
        return dict(self._encoders)

    def subscribe(self, setting: EncodeSetting) -> PacketFeed:
        encoder = self._encoders.get(setting)
        if encoder is None:
            program = self._program()
            if program is None:
                raise NoProgram("open a source first: there is no picture to send or record")
            encoder = self._encoders[setting] = SharedEncoder(program, setting, self._audio())
        return encoder.subscribe()

    async def unsubscribe(self, feed: PacketFeed) -> None:
        """End ``feed``; the encoder stops with its last feed."""
        encoder = feed.encoder
        encoder.unsubscribe(feed)
        if encoder.subscribers == 0 and self._encoders.get(encoder.setting) is encoder:
            del self._encoders[encoder.setting]
            await encoder.close()

    async def close(self) -> None:
        encoders, self._encoders = list(self._encoders.values()), {}
        for encoder in encoders:
            await encoder.close()
