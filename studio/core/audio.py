"""Audio sources: a sample tone or silence (no microphone needed) and a microphone.

Tracks produce 20 ms frames of 48 kHz mono s16 paced against the clock; aiortc encodes them
with Opus. A fresh track is made for every connection (aiortc stops a track with its sender).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from fractions import Fraction

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms
AudioFactory = Callable[[], MediaStreamTrack]


class SampleAudioTrack(MediaStreamTrack):
    """A continuous sine tone (``amplitude=0`` gives silence)."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0, amplitude: float = 0.2) -> None:
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self._samples = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            due = self._start + self._samples / SAMPLE_RATE
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        t = (self._samples + np.arange(FRAME_SAMPLES)) / SAMPLE_RATE
        wave = self.amplitude * np.sin(2 * np.pi * self.frequency * t) * 32767
        frame = av.AudioFrame.from_ndarray(
            wave.astype(np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._samples
        frame.time_base = Fraction(1, SAMPLE_RATE)
        self._samples += FRAME_SAMPLES
        return frame


def sample_audio(frequency: float = 440.0) -> AudioFactory:
    return lambda: SampleAudioTrack(frequency)


def silent_audio() -> AudioFactory:
    return lambda: SampleAudioTrack(amplitude=0.0)


def microphone_audio(device: str = "default", driver: str = "pulse") -> AudioFactory:
    """A microphone through FFmpeg (``driver`` ``pulse``/``alsa`` on Linux, ``avfoundation``
    on macOS, ``dshow`` on Windows with ``device`` like ``audio=Microphone``)."""

    def open_track() -> MediaStreamTrack:
        player = MediaPlayer(device, format=driver, options={"sample_rate": str(SAMPLE_RATE)})
        if player.audio is None:
            raise OSError(f"no audio from {driver}:{device}")
        return player.audio

    return open_track


def audio_for(source: str) -> AudioFactory:
    """The audio that goes with a video source (``sample``, ``camera:<n>``, ``file:<path>``):
    the sample tone with the sample clip, the default microphone with a camera (silence when
    there is none), silence with a file."""
    if source.startswith("camera"):
        return with_fallback(microphone_audio(), silent_audio())
    if source.startswith("file"):
        return silent_audio()
    return sample_audio()


def voice_name(source: str) -> str:
    """What :func:`audio_for` gives with ``source``, for a person."""
    return "Sample tone" if source == "sample" or not source else "Microphone"


def with_fallback(audio: AudioFactory, fallback: AudioFactory) -> AudioFactory:
    """``audio``'s track, or ``fallback``'s when ``audio`` cannot be opened."""

    def open_track() -> MediaStreamTrack:
        try:
            return audio()
        except (OSError, ValueError, av.FFmpegError) as exc:  # no device, driver or format
            log.warning("no microphone (%s): publishing silence", exc)
            return fallback()

    return open_track
