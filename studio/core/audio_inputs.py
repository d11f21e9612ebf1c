"""What the audio mixer reads (no Qt): blocks of 48 kHz stereo float samples from a live track
(the microphone after the voice effects) or from a media file's sound.

A block is a ``(2, n)`` float32 array in -1..1. The mixer asks every input for the same
number of samples each 20 ms; an input with nothing to give (a microphone that has not
started, a file without sound) gives silence, never an error, so one input cannot stop the
mix. A media file is decoded on demand at the mixer's pace and keeps in step with its video,
which started playing when the source opened: after a pause of the mix it resumes at the
position the video is at.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Final, Protocol

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from numpy.typing import NDArray

from studio.core.audio import FRAME_SAMPLES, SAMPLE_RATE, AudioFactory

log = logging.getLogger(__name__)

Block = NDArray[np.float32]
"""``(2, n)`` stereo samples in -1..1."""

PRIMING_BLOCKS: Final = 2  # a live input starts giving once this much is queued (jitter room)
MOST_QUEUED_BLOCKS: Final = 10  # beyond this a live input drops its oldest samples (latency)


def silence(samples: int) -> Block:
    return np.zeros((2, samples), np.float32)


def stereo_block(frame: av.AudioFrame, resampler: av.AudioResampler) -> Block:
    """``frame`` as 48 kHz stereo float samples (a mono frame plays on both sides at the
    same level: FFmpeg's mono-to-stereo matrix would lower it by 3 dB)."""
    parts = [np.asarray(out.to_ndarray(), np.float32) for out in resampler.resample(frame)]
    if not parts:
        return silence(0)
    samples = np.concatenate(parts, axis=1)
    return np.repeat(samples, 2, axis=0) if samples.shape[0] == 1 else samples[:2]


def resampler_for(frame: av.AudioFrame) -> av.AudioResampler:
    layout = "mono" if len(frame.layout.channels) == 1 else "stereo"
    return av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)


class AudioInput(Protocol):
    status: str  # why the input gives silence, for a person ("" when all is well)

    def read(self, samples: int) -> Block: ...

    def close(self) -> None: ...


class SampleQueue:
    """Blocks pushed at a live source's pace, read at the mixer's (thread-safe)."""

    def __init__(self) -> None:
        self._parts: deque[Block] = deque()
        self._queued = 0
        self._primed = False
        self._lock = threading.Lock()

    def push(self, block: Block) -> None:
        with self._lock:
            self._parts.append(block)
            self._queued += block.shape[1]
            excess = self._queued - MOST_QUEUED_BLOCKS * FRAME_SAMPLES
            if excess > 0:
                self._take(excess)

    def read(self, samples: int) -> Block:
        with self._lock:
            if not self._primed:
                self._primed = self._queued >= PRIMING_BLOCKS * FRAME_SAMPLES
            if not self._primed:
                return silence(samples)
            if self._queued < samples:  # ran dry: wait for some room again
                self._primed = False
            return self._take(samples)

    def _take(self, samples: int) -> Block:
        out = silence(samples)
        filled = 0
        while filled < samples and self._parts:
            part = self._parts[0]
            used = min(samples - filled, part.shape[1])
            out[:, filled : filled + used] = part[:, :used]
            filled += used
            if used == part.shape[1]:
                self._parts.popleft()
            else:
                self._parts[0] = part[:, used:]
        self._queued -= filled
        return out


class TrackInput:
    """A live track (the microphone through the voice effects), read by a task of its own
    from :meth:`start` (on the event loop) until :meth:`close`."""

    def __init__(self, factory: AudioFactory) -> None:
        self.status = ""
        self._factory = factory
        self._queue = SampleQueue()
        self._track: MediaStreamTrack | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._pump(), name="mixer-input")

    def read(self, samples: int) -> Block:
        return self._queue.read(samples)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._track is not None:
            self._track.stop()

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            track = self._track = await loop.run_in_executor(None, self._factory)
        except (OSError, ValueError, av.FFmpegError) as exc:
            self.status = f"No sound: {exc}"
            log.warning("mixer input could not open: %s", exc)
            return
        resampler: av.AudioResampler | None = None
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                resampler = resampler or resampler_for(frame)
                self._queue.push(stereo_block(frame, resampler))


class FileAudio:
    """A media file's sound, decoded as the mixer asks for it, looping with its video.

    ``started_at`` is when the file's video started playing (``time.monotonic()``); after
    :meth:`resync` the next read starts where the video is by then.
    """

    def __init__(self, path: Path, *, loop: bool = True, started_at: float | None = None) -> None:
        self.status = ""
        self.path = path
        self.loop = loop
        self.started_at = time.monotonic() if started_at is None else started_at
        self._container: av.container.InputContainer | None = None
        self._stream: av.AudioStream | None = None
        self._frames: Iterator[av.AudioFrame] = iter(())
        self._resampler: av.AudioResampler | None = None
        self._ahead: Block = silence(0)  # decoded, not yet read
        self._skip_until: float | None = None  # seconds: decoded samples before it are dropped
        self._resync = True  # the next read starts where the video is
        self._ended = False
        self._opened = False

    def resync(self) -> None:
        """Read from the video's position next (the mix was paused meanwhile)."""
        self._resync = True

    def read(self, samples: int) -> Block:
        if not self._opened:
            self._open()
        if self._stream is None or self._ended:
            return silence(samples)
        try:
            if self._resync:
                self._resync = False
                self._seek_to_video()
            while self._ahead.shape[1] < samples and not self._ended:
                self._decode_more()
        except (av.FFmpegError, OSError) as exc:  # a damaged file: silence, and why
            self.status = f"Cannot play the sound of {self.path.name}: {exc}"
            self._ended = True
            return silence(samples)
        block, self._ahead = self._ahead[:, :samples], self._ahead[:, samples:]
        if block.shape[1] < samples:
            block = np.concatenate([block, silence(samples - block.shape[1])], axis=1)
        return block

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def _open(self) -> None:
        self._opened = True
        try:
            container = av.open(str(self.path))
        except (OSError, av.FFmpegError) as exc:
            self.status = f"Cannot read the sound of {self.path.name}: {exc}"
            return
        if not container.streams.audio:
            container.close()
            self.status = f"{self.path.name} has no sound"
            return
        self._container, self._stream = container, container.streams.audio[0]

    def _seek_to_video(self) -> None:
        elapsed = time.monotonic() - self.started_at
        duration = self._duration()
        if duration and self.loop:
            elapsed %= duration
        elif duration and elapsed >= duration:
            self._ended = True
            return
        self._restart(elapsed)

    def _restart(self, seconds: float) -> None:
        """Decode from ``seconds`` into the file (samples before it are skipped)."""
        assert self._container is not None and self._stream is not None
        stream = self._stream
        if seconds > 0 and stream.time_base is not None:
            self._container.seek(int(seconds / stream.time_base), stream=stream)
        else:
            self._container.seek(0)
        self._frames = self._container.decode(stream)
        self._ahead = silence(0)
        self._skip_until = seconds if seconds > 0 else None

    def _decode_more(self) -> None:
        frame = next(self._frames, None)
        if frame is None:
            if self.loop:
                ahead = self._ahead
                self._restart(0.0)
                self._ahead = ahead
                self.started_at = time.monotonic() + ahead.shape[1] / SAMPLE_RATE
            else:
                self._ended = True
            return
        self._resampler = self._resampler or resampler_for(frame)
        block = stereo_block(frame, self._resampler)
        if self._skip_until is not None and frame.pts is not None and frame.time_base:
            start = float(frame.pts * frame.time_base)
            skip = round((self._skip_until - start) * SAMPLE_RATE)
            if skip >= block.shape[1]:
                return
            block = block[:, max(0, skip) :]
            self._skip_until = None
        self._ahead = np.concatenate([self._ahead, block], axis=1)

    def _duration(self) -> float:
        assert self._container is not None and self._stream is not None
        stream = self._stream
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        container = self._container.duration
        return container / 1_000_000 if container else 0.0


def block_frame(block: Block, pts: int) -> av.AudioFrame:
    """``block`` as an s16 stereo frame (samples beyond -1..1 are clipped)."""
    interleaved = np.clip(block, -1.0, 1.0).T.reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(
        np.round(interleaved * 32767).astype(np.int16), format="s16", layout="stereo"
    )
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = Fraction(1, SAMPLE_RATE)
    return frame
