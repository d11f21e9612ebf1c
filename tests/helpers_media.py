"""Media test helpers: loopback ICE, a frame collector that reads markers back, a live publisher.

aioice skips 127.0.0.1 when it gathers host candidates; on one machine with only loopback
networking the tests give it 127.0.0.1 explicitly (no STUN servers are configured either).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import av
import httpx
import numpy as np
import pytest
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from studio.core.audio import sample_audio
from studio.core.broadcast import AudioChoice, Broadcast, LiveTarget
from studio.core.effects_chain import EffectsChain
from studio.core.events import EventClient
from studio.core.marker import read_marker
from studio.core.publisher import Publisher
from studio.core.scenes.model import SceneCollection
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource, SourceFrame, VideoSource
from studio.core.subscriber import WhepPlayer
from tests.backend.api_helpers import ApiUser, register
from tests.loopback import loopback_only
from tests.servers import LiveServer
from wire.events import battle_room

DEFAULT_AUDIO = sample_audio()


@pytest.fixture
def loopback_ice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(aioice.ice, "get_host_addresses", loopback_only)
    yield


@dataclass
class Collector:
    """Reads a remote track in the background: marker values of video, samples of audio."""

    track: MediaStreamTrack
    markers: list[int] = field(default_factory=list)
    frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)
    audio: list[np.ndarray] = field(default_factory=list)
    measure: Callable[[av.VideoFrame], float] | None = None  # of each video frame, if given
    measured: list[float] = field(default_factory=list)
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
                    if self.measure is not None:
                        self.measured.append(self.measure(frame))
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


class StillSource:
    """The same flat grey picture at ``fps``: anything drawn on it (a particle burst) stands
    out in every decoded frame."""

    def __init__(self, width: int = 640, height: int = 360, fps: float = 30.0) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.image = np.full((height, width, 3), GREY, np.uint8)
        self._closed = threading.Event()
        self._index = 0

    def read(self) -> SourceFrame | None:
        if self._closed.wait(1.0 / self.fps):
            return None
        self._index += 1
        return SourceFrame(self.image, self._index, time.monotonic())

    def close(self) -> None:
        self._closed.set()


GREY = 128


def off_grey_share(image: np.ndarray, threshold: int = 60) -> float:
    """The share of a BGR image's pixels far from :class:`StillSource`'s grey."""
    return float(np.mean(np.abs(image.astype(np.int16) - GREY).max(axis=2) > threshold))


def decoded_off_grey_share(frame: av.VideoFrame) -> float:
    return off_grey_share(frame.to_ndarray(format="bgr24"))


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
async def live_broadcast(
    base_url: str,
    stream: str,
    token: str,
    *,
    size: tuple[int, int] = (640, 360),
    chain: EffectsChain | None = None,
    audio: AudioChoice = DEFAULT_AUDIO,
    marker_base: int = 0,
    source: VideoSource | None = None,
    scenes: SceneCollection | None = None,
    **options: Any,
) -> AsyncIterator[Broadcast]:
    """A broadcast of ``source`` (default: the marked sample source), live on ``base_url``
    as ``stream``; with ``scenes``, of their scene on air (camera layers show ``source``)."""
    broadcast = Broadcast(chain)
    if source is None:
        source = SampleSource(*size, fps=30.0, marker=True, marker_base=marker_base)
    broadcast.use_source(source, SAMPLE)
    if scenes is not None:
        broadcast.use_scenes(scenes)
    try:
        target = LiveTarget(f"{base_url}/whip/{stream}", token)
        publisher = await broadcast.go_live(target, audio=audio, **options)
        await asyncio.wait_for(publisher.wait_live(), 20)
        yield broadcast
    finally:
        await broadcast.close()


@contextlib.asynccontextmanager
async def live_publisher(
    base_url: str, stream: str, token: str, **options: Any
) -> AsyncIterator[Publisher]:
    """:func:`live_broadcast`'s live output."""
    async with live_broadcast(base_url, stream, token, **options) as broadcast:
        assert broadcast.publisher is not None
        yield broadcast.publisher


@contextlib.asynccontextmanager
async def watched_stream(server: LiveServer) -> AsyncIterator[tuple[Any, WhepPlayer]]:
    """A live 640x360 stream on ``server`` and one aiortc viewer playing it: the viewer's
    egress session on the server (``backend.media.server.Session``) and its player."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        streamer = await register(client)
        viewer = await register(client)
    async with live_publisher(server.url, streamer.username, streamer.token, size=(640, 360)):
        player = WhepPlayer(f"{server.url}/whep/{streamer.username}", token=viewer.token)
        await player.start()
        media = server.app.state.media
        [session] = [s for s in media.sessions.values() if s.kind == "egress"]
        try:
            yield session, player
        finally:
            await player.stop()


# ---- gifts to a live studio --------------------------------------------------------------
def gift_particles() -> EffectsChain:
    """Particles that only a gift sets off (no steady rate), where the burst is easy to see."""
    chain = EffectsChain()
    chain.set_enabled("ar.particles", True)
    for name, value in {"rate": 0.0, "emitter": "everywhere", "gift_burst": 200}.items():
        chain.set_value("ar.particles", name, value)
    for name, value in {"gravity": 0.0, "lifetime": 8.0, "size": 2.0}.items():
        chain.set_value("ar.particles", name, value)
    return chain


async def start_battle(host1: ApiUser, host2: ApiUser) -> str:
    battle = await host1.data("POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 5})
    await host2.data("POST", f"/api/pk-battles/{battle['id']}/accept")
    return str(battle["id"])


@dataclass(frozen=True)
class GiftBattle:
    """A running PK battle: ``host`` (the studio under test) against ``opponent``, and a
    ``fan`` with coins to send gifts."""

    id: str
    host: ApiUser
    opponent: ApiUser
    fan: ApiUser


@contextlib.asynccontextmanager
async def gift_battle(
    server: LiveServer, fan_coins: int
) -> AsyncIterator[tuple[GiftBattle, EventClient]]:
    """A battle and the host studio's own event link, in the battle's room (gifts arrive);
    the users' API calls work until the block ends."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        host, opponent = await register(client), await register(client)
        fan = await register(client, coins=fan_coins)
        battle = GiftBattle(await start_battle(host, opponent), host, opponent, fan)
        events = EventClient(server.ws_url, host.token)
        events.start()
        try:
            await events.wait_connected()
            await events.join(battle_room(battle.id))
            yield battle, events
        finally:
            await events.stop()
