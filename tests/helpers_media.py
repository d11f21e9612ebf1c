"""Media test helpers: loopback ICE, a frame collector that reads markers back, a live publisher.

aioice skips 127.0.0.1 when it gathers host candidates; on one machine with only loopback
networking the tests give it 127.0.0.1 explicitly (no STUN servers are configured either).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import av
import numpy as np
import pytest
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from studio.core.audio import AudioFactory, sample_audio
from studio.core.frames import FrameFlow, Pipeline
from studio.core.marker import read_marker
from studio.core.publisher import Publisher
from studio.core.sources import SampleSource
from studio.core.subscriber import WhepPlayer

DEFAULT_AUDIO = sample_audio()


def _loopback_only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return ["127.0.0.1"] if use_ipv4 else []


@pytest.fixture
def loopback_ice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", _loopback_only)
    yield


@dataclass
class Collector:
    """Reads a remote track in the background: marker values of video, samples of audio."""

    track: MediaStreamTrack
    markers: list[int] = field(default_factory=list)
    frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)
    audio: list[np.ndarray] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> Collector:
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await self.track.recv()
                self.frames += 1
                if isinstance(frame, av.VideoFrame):
                    self.sizes.add((frame.width, frame.height))
                    value = read_marker(np.asarray(frame.to_ndarray(format="bgr24"), np.uint8))
                    if value is not None:
                        self.markers.append(value)
                elif isinstance(frame, av.AudioFrame):
                    channels = len(frame.layout.channels)  # packed: samples interleave
                    self.audio.append(frame.to_ndarray().reshape(-1)[::channels])
                self._changed.set()

    async def wait_for(self, predicate: object, timeout: float = 20.0) -> None:
        async def wait() -> None:
            while not predicate():  # type: ignore[operator]
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def played_markers(whep_url: str, token: str, count: int) -> list[int]:
    """Play a stream over WHEP until ``count`` markers were read back from its video."""
    player = WhepPlayer(whep_url, token=token)
    await player.start()
    assert player.video is not None
    video = Collector(player.video).start()
    try:
        await video.wait_for(lambda: len(video.markers) >= count)
    finally:
        await video.stop()
        await player.stop()
    return video.markers


def dominant_frequency(samples: np.ndarray, rate: int = 48000) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


@contextlib.asynccontextmanager
async def live_publisher(
    base_url: str,
    stream: str,
    token: str,
    *,
    size: tuple[int, int] = (640, 360),
    pipeline: Pipeline | None = None,
    audio: AudioFactory | None = DEFAULT_AUDIO,
    marker_base: int = 0,
    **options: Any,
) -> AsyncIterator[Publisher]:
    source = SampleSource(*size, fps=30.0, marker=True, marker_base=marker_base)
    flow = FrameFlow(source, pipeline)
    publisher = Publisher(f"{base_url}/whip/{stream}", flow, token=token, audio=audio, **options)
    await publisher.start()
    try:
        await asyncio.wait_for(publisher.wait_live(), 20)
        yield publisher
    finally:
        await publisher.stop()
        flow.stop()
