"""The studio's voice effects (no Qt): which are on, their values, and the audio track that
applies them to every 20 ms frame on its way to the encoder.

The UI edits a :class:`VoiceChain` while the publisher's audio track reads it; an edit swaps
the changer's effect list whole, so a frame never sees half a change. A failing effect is
switched off by :class:`~filters.audio.voice.VoiceChanger` and a frame that cannot be
processed at all goes out unchanged: the voice never stops because of an effect.
"""

from __future__ import annotations

import logging
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack
from numpy.typing import NDArray

from filters.audio.voice import VoiceChanger, VoiceFilter
from studio.core.audio import SAMPLE_RATE, AudioFactory
from studio.core.effect_set import EffectSet

log = logging.getLogger(__name__)


class VoiceChain(EffectSet[VoiceFilter]):
    kind = VoiceFilter

    def __init__(self, sample_rate: int = SAMPLE_RATE) -> None:
        super().__init__()
        self.changer = VoiceChanger(sample_rate=sample_rate)
        self._broken_frames = 0

    # ---- the audio track's side ------------------------------------------------------
    def process(self, frame: av.AudioFrame) -> av.AudioFrame:
        """``frame`` with the enabled effects applied (``frame`` itself when none is on)."""
        if not self._enabled:
            return frame
        try:
            return _with_samples(frame, self.changer.process(_samples(frame)))
        except Exception as exc:  # a frame layout we cannot read: pass the voice through
            self._broken_frames += 1
            if self._broken_frames == 1:
                log.error("voice effects skipped a %s frame: %s", frame.format.name, exc)
            return frame

    # ---- the UI's side ---------------------------------------------------------------
    def use(self, effects: list[VoiceFilter]) -> None:
        self.changer.set_effects(effects)

    def set_enabled(self, effect_id: str, enabled: bool) -> None:
        if enabled != self.is_enabled(effect_id):
            self._effect(effect_id).reset()  # no echo tail or delay line from the last time
        super().set_enabled(effect_id, enabled)

    @property
    def failures(self) -> list[tuple[str, str]]:
        """(effect id, error) of every effect that failed and was switched off."""
        return list(self.changer.failures)

    def costs(self) -> dict[str, float]:
        """Milliseconds the last 20 ms frame took in each enabled effect."""
        return {i: self.changer.last_ms[i] for i in self._enabled if i in self.changer.last_ms}


class VoiceTrack(MediaStreamTrack):
    """``source``'s audio with ``chain``'s effects applied, frame by frame."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack, chain: VoiceChain) -> None:
        super().__init__()
        self.source = source
        self.chain = chain

    async def recv(self) -> av.AudioFrame:
        frame = await self.source.recv()
        assert isinstance(frame, av.AudioFrame)
        return self.chain.process(frame)

    def stop(self) -> None:
        super().stop()
        self.source.stop()


def voiced(audio: AudioFactory, chain: VoiceChain) -> AudioFactory:
    """``audio``'s tracks wrapped in :class:`VoiceTrack` (a fresh one per connection)."""
    return lambda: VoiceTrack(audio(), chain)


def _samples(frame: av.AudioFrame) -> NDArray[Any]:
    """The frame's samples as ``(channels, samples)`` (packed formats interleave channels)."""
    data = frame.to_ndarray()
    if frame.format.is_planar:
        return data
    channels = len(frame.layout.channels)
    return data.reshape(-1, channels).T


def _with_samples(like: av.AudioFrame, samples: NDArray[Any]) -> av.AudioFrame:
    """A frame like ``like`` (format, layout, timing) carrying ``samples``."""
    data = samples if like.format.is_planar else samples.T.reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(data), format=like.format.name, layout=like.layout.name
    )
    frame.sample_rate = like.sample_rate
    frame.pts = like.pts
    if like.time_base is not None:
        frame.time_base = like.time_base
    return frame
