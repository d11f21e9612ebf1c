"""Voice changers on streaming audio frames (for example 20 ms Opus frames at 48 kHz).

Every effect keeps its state between frames, returns as many samples as it receives and
adds at most ``PITCH_WINDOW_S`` of latency (the pitch shifter; pedalboard's own
``PitchShift`` buffers about a second when streamed, so pitch is shifted here with a
two-tap delay-line shifter instead). ``VoiceChanger`` runs a chain like the video
``Pipeline``: timings, and a failing effect is switched off while audio keeps flowing.
"""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Iterable
from typing import ClassVar

import numpy as np
import pedalboard as pb
from numpy.typing import NDArray

from filters.base import Category, Effect
from filters.params import Param, ParamType, amount, scalar
from filters.types import Vectors

log = logging.getLogger(__name__)

Audio = NDArray[np.float32]
"""Float32 samples in -1..1, shape ``(channels, samples)``."""

PITCH_WINDOW_S = 0.04


class VoiceFilter(Effect):
    """A voice effect: ``process(audio, sample_rate)`` on ``(channels, samples)`` float32."""

    category = Category.VOICE

    def process(self, audio: Audio, sample_rate: int) -> Audio:
        """The processed block (``audio`` itself when the values are neutral)."""
        if self.is_neutral():
            return audio
        return self.render(audio, sample_rate)

    @abstractmethod
    def render(self, audio: Audio, sample_rate: int) -> Audio:
        """The effect applied to one block."""

    def reset(self) -> None:
        """Forget the state carried between blocks (tails, delay lines)."""


class PitchShifter:
    """Streaming pitch shift by ``ratio`` with two crossfaded, sweeping delay-line taps.

    Latency is at most ``window`` seconds; formants move with the pitch (the classic
    chipmunk / monster sound).
    """

    def __init__(self, ratio: float, sample_rate: int, window: float = PITCH_WINDOW_S) -> None:
        self.ratio = ratio
        self.window = max(8, round(window * sample_rate))
        self._history = np.zeros((0, self.window + 2), np.float32)
        self._phase = 0.0

    def process(self, audio: Audio) -> Audio:
        channels, count = audio.shape
        if self._history.shape[0] != channels:
            self._history = np.zeros((channels, self.window + 2), np.float32)
        buffer = np.concatenate([self._history, audio], axis=1)
        step = (1.0 - self.ratio) / self.window
        phase = (self._phase + step * np.arange(1, count + 1)) % 1.0
        self._phase = float(phase[-1])
        now = self._history.shape[1] + np.arange(count)
        out = np.zeros_like(audio)
        for offset in (0.0, 0.5):
            tap = (phase + offset) % 1.0
            delay = tap * self.window + 1.0
            gain = np.sin(np.pi * tap) ** 2  # the two taps' gains sum to 1
            out += gain * _read(buffer, now - delay)
        self._history = buffer[:, -(self.window + 2) :]
        return out


def _read(buffer: Audio, position: Vectors) -> Audio:
    """Linear interpolation of every channel of ``buffer`` at fractional ``position``."""
    low = np.floor(position).astype(np.int64)
    frac = (position - low).astype(np.float32)
    mixed: Audio = buffer[:, low] * (1.0 - frac) + buffer[:, low + 1] * frac
    return mixed


def semitones_to_ratio(semitones: float) -> float:
    return float(2.0 ** (semitones / 12.0))


class _Board(VoiceFilter):
    """An effect built from pedalboard plugins (rebuilt when parameters change)."""

    def __init__(self, **values: object) -> None:
        self._board: pb.Pedalboard | None = None
        super().__init__(**values)

    def changed(self, names: set[str]) -> None:
        self._board = None

    def reset(self) -> None:
        self._board = None

    @abstractmethod
    def plugins(self) -> list[pb.Plugin]:
        """The plugin chain for the current values."""

    def render(self, audio: Audio, sample_rate: int) -> Audio:
        if self._board is None:
            self._board = pb.Pedalboard(self.plugins())
        return np.asarray(self._board.process(audio, sample_rate, reset=False), np.float32)


class Pitch(VoiceFilter):
    id = "voice.pitch"
    name = "Pitch shift"
    description = "Higher (chipmunk) or deeper voice, in semitones."
    tags = ("voice", "pitch", "chipmunk", "deep")
    params: ClassVar[tuple[Param, ...]] = (
        Param("semitones", ParamType.FLOAT, 5.0, "Pitch", -12.0, 12.0, 0.5, "st", neutral=0.0),
    )

    def __init__(self, **values: object) -> None:
        self._shifter: PitchShifter | None = None
        super().__init__(**values)

    def changed(self, names: set[str]) -> None:
        if self._shifter is not None:
            self._shifter.ratio = semitones_to_ratio(self.number("semitones"))

    def reset(self) -> None:
        self._shifter = None

    def render(self, audio: Audio, sample_rate: int) -> Audio:
        if self._shifter is None:
            self._shifter = PitchShifter(semitones_to_ratio(self.number("semitones")), sample_rate)
        return self._shifter.process(audio)


class Robot(VoiceFilter):
    """Ring modulation by a low carrier plus a metallic comb: the classic robot voice."""

    id = "voice.robot"
    name = "Robot"
    description = "Metallic, buzzing robot voice."
    tags = ("voice", "robot", "metallic")
    premium = True
    price_coins = 25
    params: ClassVar[tuple[Param, ...]] = (
        amount("amount", "Amount", 80.0),
        scalar("carrier", "Buzz", 60.0, 20.0, 200.0, 1.0, "Hz"),
    )

    def __init__(self, **values: object) -> None:
        self._phase = 0.0
        self._comb = pb.Pedalboard([pb.Chorus(rate_hz=0.1, depth=0.05, centre_delay_ms=9.0,
                                              feedback=0.6, mix=0.5)])  # fmt: skip
        super().__init__(**values)

    def reset(self) -> None:
        self._phase = 0.0
        self._comb.reset()

    def render(self, audio: Audio, sample_rate: int) -> Audio:
        count = audio.shape[1]
        step = 2.0 * np.pi * self.number("carrier") / sample_rate
        phases = self._phase + step * np.arange(count)
        self._phase = float((phases[-1] + step) % (2.0 * np.pi))
        modulated = audio * np.sin(phases).astype(np.float32)
        metallic = np.asarray(self._comb.process(modulated, sample_rate, reset=False), np.float32)
        mix = self.fraction("amount")
        return (audio * (1.0 - mix) + metallic * mix * 1.4).astype(np.float32)


class Echo(_Board):
    id = "voice.echo"
    name = "Echo"
    description = "Repeating echo with adjustable delay and feedback."
    tags = ("voice", "echo", "delay")
    params: ClassVar[tuple[Param, ...]] = (
        amount("mix", "Mix", 35.0),
        scalar("delay", "Delay", 0.25, 0.05, 1.0, 0.01, "s"),
        scalar("feedback", "Feedback", 35.0, 0.0, 90.0, 1.0, "%"),
    )

    def plugins(self) -> list[pb.Plugin]:
        return [pb.Delay(self.number("delay"), self.number("feedback") / 100.0,
                         self.fraction("mix"))]  # fmt: skip


class Reverb(_Board):
    id = "voice.reverb"
    name = "Reverb"
    description = "Room, hall or cathedral space."
    tags = ("voice", "reverb", "hall", "room")
    params: ClassVar[tuple[Param, ...]] = (
        amount("mix", "Mix", 30.0),
        scalar("room_size", "Room size", 60.0, 0.0, 100.0, 1.0, "%"),
        scalar("damping", "Damping", 50.0, 0.0, 100.0, 1.0, "%"),
    )

    def plugins(self) -> list[pb.Plugin]:
        mix = self.fraction("mix")
        return [pb.Reverb(room_size=self.number("room_size") / 100.0,
                          damping=self.number("damping") / 100.0,
                          wet_level=mix, dry_level=1.0 - mix * 0.5)]  # fmt: skip


class Radio(_Board):
    id = "voice.radio"
    name = "Radio / telephone"
    description = "Narrow band, slightly overdriven: walkie-talkie and phone calls."
    tags = ("voice", "radio", "telephone", "walkie-talkie")
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)

    def plugins(self) -> list[pb.Plugin]:
        wet = pb.Chain([pb.HighpassFilter(500.0), pb.LowpassFilter(3000.0),
                        pb.Distortion(drive_db=14.0), pb.Gain(-6.0)])  # fmt: skip
        return [_mixed(wet, self.fraction("amount"))]


class Monster(_Board):
    id = "voice.monster"
    name = "Monster"
    description = "Deep, growling monster voice."
    tags = ("voice", "monster", "deep", "growl")
    premium = True
    price_coins = 25
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)

    def __init__(self, **values: object) -> None:
        self._shifter: PitchShifter | None = None
        super().__init__(**values)

    def plugins(self) -> list[pb.Plugin]:
        wet = pb.Chain([pb.LowShelfFilter(200.0, 8.0), pb.Distortion(drive_db=10.0),
                        pb.Gain(-4.0)])  # fmt: skip
        return [_mixed(wet, self.fraction("amount"))]

    def render(self, audio: Audio, sample_rate: int) -> Audio:
        if self._shifter is None:
            self._shifter = PitchShifter(semitones_to_ratio(-6.0), sample_rate)
        amount_ = self.fraction("amount")
        shifted = self._shifter.process(audio) * amount_ + audio * (1.0 - amount_)
        return super().render(shifted.astype(np.float32), sample_rate)


class Alien(_Board):
    id = "voice.alien"
    name = "Alien"
    description = "Higher pitch with a swirling phaser."
    tags = ("voice", "alien", "phaser", "sci-fi")
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)

    def __init__(self, **values: object) -> None:
        self._shifter: PitchShifter | None = None
        super().__init__(**values)

    def plugins(self) -> list[pb.Plugin]:
        wet = pb.Chain([pb.Phaser(rate_hz=2.0, depth=0.8, mix=0.8), pb.Chorus(mix=0.4)])
        return [_mixed(wet, self.fraction("amount"))]

    def render(self, audio: Audio, sample_rate: int) -> Audio:
        if self._shifter is None:
            self._shifter = PitchShifter(semitones_to_ratio(4.0), sample_rate)
        amount_ = self.fraction("amount")
        shifted = self._shifter.process(audio) * amount_ + audio * (1.0 - amount_)
        return super().render(shifted.astype(np.float32), sample_rate)


def _mixed(wet: pb.Chain, amount_: float) -> pb.Plugin:
    """``wet`` in parallel with the dry signal, mixed ``amount_`` : ``1 - amount_``."""
    return pb.Mix([pb.Chain([wet, pb.Gain(_db(amount_))]), pb.Gain(_db(1.0 - amount_))])


def _db(gain: float) -> float:
    return float(20.0 * np.log10(max(gain, 1e-6)))


class VoiceChanger:
    """An ordered chain of voice effects for a streaming audio track.

    ``process`` takes int16 or float32 samples shaped ``(samples,)`` or
    ``(channels, samples)`` and returns the same dtype and shape. A failing effect is
    switched off (listed in ``failures``); the audio keeps flowing.
    """

    def __init__(self, effects: Iterable[VoiceFilter] = (), sample_rate: int = 48_000) -> None:
        self.effects = list(effects)
        self.sample_rate = sample_rate
        self.disabled: set[int] = set()
        self.failures: list[tuple[str, str]] = []
        self.last_ms: dict[str, float] = {}

    def set_effects(self, effects: Iterable[VoiceFilter]) -> None:
        self.effects = list(effects)
        self.disabled.clear()

    def process(self, samples: NDArray[np.generic]) -> NDArray[np.generic]:
        audio = _to_float(samples)
        for position, effect in enumerate(self.effects):
            if position in self.disabled or effect.is_neutral():
                continue
            started = time.perf_counter()
            try:
                result = effect.process(audio, self.sample_rate)
                if result.shape != audio.shape:
                    raise ValueError(f"returned {result.shape}, expected {audio.shape}")
                audio = result
            except Exception as exc:
                self.disabled.add(position)
                self.failures.append((effect.id, f"{type(exc).__name__}: {exc}"))
                log.error("voice effect %s failed and was switched off: %s", effect.id, exc)
            self.last_ms[effect.id] = (time.perf_counter() - started) * 1000.0
        return _from_float(audio, samples)

    def reset(self) -> None:
        for effect in self.effects:
            effect.reset()


def _to_float(samples: NDArray[np.generic]) -> Audio:
    data = np.atleast_2d(samples)
    if data.dtype == np.int16:
        return data.astype(np.float32) / 32768.0
    return np.ascontiguousarray(data, np.float32)


def _from_float(audio: Audio, like: NDArray[np.generic]) -> NDArray[np.generic]:
    out: NDArray[np.generic]
    if like.dtype == np.int16:
        out = np.clip(np.round(audio * 32768.0), -32768, 32767).astype(np.int16)
    else:
        out = audio.astype(like.dtype, copy=False)
    return out.reshape(like.shape)
