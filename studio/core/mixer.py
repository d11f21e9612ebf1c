"""The audio mixer (no Qt): the microphone (after the voice effects) and the sound of the media
files on air, each with its volume, mute and level meter, mixed into the one sound every output
sends.

Channels: ``voice`` (what goes with the video source: the microphone with a camera, the
sample tone with the sample clip, through the voice chain) and one per ``media`` source of the
scene collection. A channel kind declares its parameters (volume in dB, mute) as effects do,
so the studio builds its strip from the declarations. A media file's sound counts only while
a visible layer of it is in the scene on air; off air it keeps its place (its video plays on)
and adds nothing.

One mix, shared: :meth:`AudioMixer.track` makes a consumer track (the WHIP publisher makes one
per connection, each shared encode one); while any consumer or :meth:`hold` exists, one task
mixes a 20 ms block every 20 ms (paced against the clock, the inputs read off the event loop)
and hands a copy to every consumer. The meters measure what each channel adds to the mix
(after its fader and mute) and the mix itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from filters.base import Parameterised
from filters.params import ParamError, flag, scalar
from studio.core.audio import FRAME_SAMPLES, SAMPLE_RATE, AudioFactory
from studio.core.audio_inputs import AudioInput, Block, FileAudio, TrackInput, block_frame, silence
from studio.core.observers import Observers
from studio.core.scenes.model import SceneCollection, SourceConfig

VOICE: Final = "voice"
MEDIA_KIND: Final = "media"
SILENT_DB: Final = -60.0  # the fader's bottom: silence
LOUDEST_DB: Final = 12.0
FLOOR_DB: Final = -90.0  # what a meter reads for silence
METER_BLOCKS: Final = 5  # a meter shows the last 100 ms
CONSUMER_BLOCKS: Final = 25  # a consumer that falls 0.5 s behind loses its oldest blocks
BLOCK_SECONDS: Final = FRAME_SAMPLES / SAMPLE_RATE


def gain_of(volume_db: float) -> float:
    """The factor a fader at ``volume_db`` multiplies samples by (0 at the bottom)."""
    return 0.0 if volume_db <= SILENT_DB else float(10 ** (volume_db / 20))


def percent_of(volume_db: float) -> float:
    """The fader as a person may prefer to read it: 100 % is unchanged, 50 % half as loud."""
    return gain_of(volume_db) * 100.0


def db_of_percent(percent: float) -> float:
    """The volume in dB of ``percent`` (0 % is the silent bottom of the fader)."""
    if percent <= 0:
        return SILENT_DB
    return min(LOUDEST_DB, max(SILENT_DB, 20 * math.log10(percent / 100.0)))


def decibels(amplitude: float) -> float:
    return FLOOR_DB if amplitude <= 10 ** (FLOOR_DB / 20) else 20 * math.log10(amplitude)


@dataclass(frozen=True)
class Levels:
    """A meter's reading in dBFS (``FLOOR_DB`` for silence)."""

    peak_db: float = FLOOR_DB
    rms_db: float = FLOOR_DB


class Meter:
    """Peak and RMS of the last :data:`METER_BLOCKS` blocks (written by the mixing thread,
    read by anyone)."""

    def __init__(self) -> None:
        self._blocks: deque[tuple[float, float, int]] = deque(maxlen=METER_BLOCKS)

    def measure(self, block: Block) -> None:
        peak = float(np.max(np.abs(block))) if block.size else 0.0
        self._blocks.append((peak, float(np.sum(np.square(block, dtype=np.float64))), block.size))

    def clear(self) -> None:
        self._blocks.clear()

    @property
    def levels(self) -> Levels:
        blocks = list(self._blocks)
        count = sum(size for _, _, size in blocks)
        if not count:
            return Levels()
        peak = max(peak for peak, _, _ in blocks)
        rms = math.sqrt(sum(energy for _, energy, _ in blocks) / count)
        return Levels(decibels(peak), decibels(rms))


class Channel(Parameterised):
    """One strip of the mixer: an input, its fader and mute, its meter."""

    kind: ClassVar[str]
    params = (
        scalar("volume", "Volume", 0.0, SILENT_DB, LOUDEST_DB, 0.5, "dB"),
        flag("muted", "Mute", False),
    )

    def __init__(self, channel_id: str, name: str, values: Mapping[str, object]) -> None:
        super().__init__(**dict(values))
        self.id = channel_id
        self.name = name
        self.input: AudioInput | None = None
        self.on_air = True
        self.meter = Meter()

    @property
    def gain(self) -> float:
        """What the channel's samples are multiplied by in the mix now."""
        if self.flag("muted") or not self.on_air:
            return 0.0
        return gain_of(self.number("volume"))

    @property
    def status(self) -> str:
        return self.input.status if self.input is not None else ""

    def describe(self) -> dict[str, Any]:
        """The strip for the UI: ``parameters`` as :meth:`filters.params.Param.describe`
        gives them, ``values`` the current ones."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "parameters": [param.describe() for param in self.params],
            "values": self.values,
        }

    def open(self) -> AudioInput:
        raise NotImplementedError


class VoiceChannel(Channel):
    kind = "voice"

    def __init__(self, name: str, voice: Callable[[], AudioFactory]) -> None:
        super().__init__(VOICE, name, {})
        self._voice = voice

    def open(self) -> AudioInput:
        track = TrackInput(self._voice())
        track.start()
        return track


class MediaChannel(Channel):
    kind = MEDIA_KIND

    def __init__(self, config: SourceConfig, values: Mapping[str, object]) -> None:
        super().__init__(config.id, config.name, values)
        self.path = Path(str(config.values.get("path", "")))
        self.loop = bool(config.values.get("loop", True))
        self.started_at = time.monotonic()  # when its video source opened, near enough

    def open(self) -> AudioInput:
        return FileAudio(self.path, loop=self.loop, started_at=self.started_at)


def mix(blocks: Iterable[tuple[Block, float]], samples: int = FRAME_SAMPLES) -> Block:
    """The sum of every block times its gain (not yet clipped: the frame does that)."""
    out = silence(samples)
    for block, gain in blocks:
        if gain:
            out += block * np.float32(gain)
    return out


class AudioMixer:
    """The studio's sound (see the module's docstring)."""

    def __init__(self, voice: Callable[[], AudioFactory], voice_name: str = "Microphone") -> None:
        """``voice`` gives the voice channel's audio (opened when the mix starts), called
        ``voice_name``."""
        self._saved: dict[str, dict[str, Any]] = {}  # values by channel id, to restore
        self._channels: dict[str, Channel] = {VOICE: VoiceChannel(voice_name, voice)}
        self.meter = Meter()  # the mix's
        self.channels_changed: Observers[None] = Observers()  # added, removed or renamed
        self.values_changed: Observers[str] = Observers()  # a channel's volume or mute
        self._consumers: list[MixTrack] = []
        self._holds = 0
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="audio-mixer")
        self._unfollow: Callable[[], None] | None = None

    # ---- the model ----------------------------------------------------------------------
    @property
    def channels(self) -> list[Channel]:
        return list(self._channels.values())

    def channel(self, channel_id: str) -> Channel:
        try:
            return self._channels[channel_id]
        except KeyError:
            raise ParamError(f"the mixer has no channel {channel_id!r}") from None

    def set_volume(self, channel_id: str, volume_db: float) -> None:
        self._set(channel_id, volume=volume_db)

    def set_muted(self, channel_id: str, muted: bool) -> None:
        self._set(channel_id, muted=muted)

    def restore(self, saved: Mapping[str, Mapping[str, Any]]) -> None:
        """Values from the last run by channel id (for channels that come later too); a
        value that no longer fits is left at its default."""
        for channel_id, values in saved.items():
            self._saved[channel_id] = dict(values)
            channel = self._channels.get(channel_id)
            if channel is not None:
                with contextlib.suppress(ParamError):
                    channel.update(**values)

    def values(self) -> dict[str, dict[str, Any]]:
        """Every channel's values by id (and those of channels gone for now), to save."""
        return self._saved | {cid: dict(c.values) for cid, c in self._channels.items()}

    def _set(self, channel_id: str, **values: object) -> None:
        channel = self.channel(channel_id)
        channel.update(**values)
        self._saved[channel_id] = dict(channel.values)
        self.values_changed.emit(channel_id)

    # ---- the scene collection's media --------------------------------------------------
    def follow(self, collection: SceneCollection) -> None:
        """Keep a channel for each media source of ``collection`` and count each only while
        it is on air."""
        self._sync(collection)
        self._unfollow = collection.changed.add(lambda _: self._sync(collection))

    def _sync(self, collection: SceneCollection) -> None:
        wanted = {s.id: s for s in collection.sources.values() if s.kind == MEDIA_KIND}
        shown = _on_air(collection)
        gone: list[Channel] = []
        with self._lock:
            before = [(c.id, c.name) for c in self._channels.values()]
            for cid, channel in list(self._channels.items()):
                if isinstance(channel, MediaChannel) and _reopens(channel, wanted.get(cid)):
                    gone.append(self._channels.pop(cid))
            for cid, config in wanted.items():
                if cid not in self._channels:
                    self._channels[cid] = MediaChannel(config, self._saved.get(cid, {}))
                channel = self._channels[cid]
                channel.name = config.name
                channel.on_air = cid in shown
            after = [(c.id, c.name) for c in self._channels.values()]
        for channel in gone:
            self._close_input(channel)
        if after != before:
            self.channels_changed.emit(None)

    # ---- levels -------------------------------------------------------------------------
    def levels(self, channel_id: str) -> Levels:
        return self.channel(channel_id).meter.levels

    @property
    def running(self) -> bool:
        return self._task is not None

    # ---- mixing -------------------------------------------------------------------------
    def mix_block(self) -> Block:
        """Read one block from every channel, mix it and measure it (the mixing thread)."""
        with self._lock:
            channels = list(self._channels.values())
        parts = []
        for channel in channels:
            if channel.input is None and isinstance(channel, MediaChannel):
                channel.input = channel.open()  # the voice opens on the event loop
            audio = channel.input
            sound = audio.read(FRAME_SAMPLES) if audio is not None else silence(FRAME_SAMPLES)
            block = sound * np.float32(channel.gain)
            channel.meter.measure(block)
            parts.append((block, 1.0))
        mixed = mix(parts)
        self.meter.measure(mixed)
        return mixed

    def track(self) -> MediaStreamTrack:
        """A new consumer of the mix (an :data:`~studio.core.audio.AudioFactory`: may be
        called off the event loop; it joins the mix with its first ``recv``)."""
        return MixTrack(self)

    def hold(self) -> None:
        """Mix (and meter) even with no consumer, until :meth:`release` (a level view)."""
        self._holds += 1
        self._ensure_running()

    def release(self) -> None:
        self._holds = max(0, self._holds - 1)
        self._stop_when_unused()

    def voice_changed(self, name: str) -> None:
        """The video source changed: its audio (called ``name`` now) opens again."""
        voice = self._channels[VOICE]
        self._close_input(voice)
        if voice.name != name:
            voice.name = name
            self.channels_changed.emit(None)

    def _join(self, consumer: MixTrack) -> None:
        self._consumers.append(consumer)
        self._ensure_running()

    def _leave(self, consumer: MixTrack) -> None:
        if consumer in self._consumers:
            self._consumers.remove(consumer)
        self._stop_when_unused()

    def _ensure_running(self) -> None:
        if self._task is None:
            self._open_voice()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="audio-mix")

    def _open_voice(self) -> None:
        """The voice's track starts on the event loop (the mixing thread has none)."""
        voice = self._channels[VOICE]
        if voice.input is None:
            voice.input = voice.open()

    def _stop_when_unused(self) -> None:
        if self._task is not None and not self._consumers and not self._holds:
            self._task.cancel()
            self._task = None
            for channel in self.channels:
                self._close_input(channel)
                channel.meter.clear()
            self.meter.clear()

    def _close_input(self, channel: Channel) -> None:
        audio, channel.input = channel.input, None
        if isinstance(audio, FileAudio):  # closed between two reads, on the mixing thread
            self._worker.submit(audio.close)
        elif audio is not None:
            audio.close()
        if channel.kind == VOICE and self._task is not None:
            self._open_voice()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        started, pts = time.monotonic(), 0
        while True:
            block = await loop.run_in_executor(self._worker, self.mix_block)
            for consumer in tuple(self._consumers):
                consumer.deliver(block_frame(block, consumer.next_pts()))
            pts += FRAME_SAMPLES
            await asyncio.sleep(max(0.0, started + pts / SAMPLE_RATE - time.monotonic()))

    async def close(self) -> None:
        if self._unfollow is not None:
            self._unfollow()
        for consumer in tuple(self._consumers):
            consumer.stop()
        self._holds = 0
        self._stop_when_unused()
        self._worker.shutdown(wait=False)


class MixTrack(MediaStreamTrack):
    """One consumer's copy of the mix, 20 ms frames of 48 kHz stereo s16."""

    kind = "audio"

    def __init__(self, mixer: AudioMixer) -> None:
        super().__init__()
        self._mixer = mixer
        self._frames: asyncio.Queue[av.AudioFrame | None] | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._frames is None:
            self._frames = asyncio.Queue()
            self._mixer._join(self)
        frame = await self._frames.get()
        if frame is None:
            raise MediaStreamError
        return frame

    def next_pts(self) -> int:
        pts, self._pts = self._pts, self._pts + FRAME_SAMPLES
        return pts

    def deliver(self, frame: av.AudioFrame) -> None:
        frames = self._frames
        if frames is None:
            return
        if frames.qsize() >= CONSUMER_BLOCKS:
            with contextlib.suppress(asyncio.QueueEmpty):
                frames.get_nowait()
        frames.put_nowait(frame)

    def stop(self) -> None:
        super().stop()
        if self._frames is not None:
            self._frames.put_nowait(None)
            self._mixer._leave(self)


def _on_air(collection: SceneCollection) -> set[str]:
    scene = collection.current_scene()
    if scene is None:
        return set()
    return {layer.source_id for layer in scene.layers if layer.visible}


def _reopens(channel: MediaChannel, config: SourceConfig | None) -> bool:
    """The media channel goes: its source is gone, or plays another file now."""
    if config is None:
        return True
    return (
        Path(str(config.values.get("path", ""))) != channel.path
        or bool(config.values.get("loop", True)) != channel.loop
    )
