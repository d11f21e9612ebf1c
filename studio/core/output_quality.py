"""Output quality: the sizes and frame rates the studio may publish, how much this machine can
afford, and which one Auto picks (no Qt).

The measurement runs the studio's real work on a few frames at each candidate size: the
enabled effects (fresh copies, so the preview's chain is not disturbed) and the real encoder
(:class:`studio.core.encoder.VideoEncoder`, the broadcast's codec). A mode fits when that
work takes at most :data:`HEADROOM` of its frame interval; the rest is left for capture, the
preview, audio and the network. Auto picks the largest 30 fps mode that fits (60 fps doubles
the bitrate and most cameras deliver 30, so it is a choice a person makes); 720p60 is only
offered when it fits.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from filters.base import VideoFilter
from filters.pipeline import Pipeline
from studio.core.encoder import VideoEncoder
from studio.core.sources import Image
from wire.quality import QualityLevel

AUTO = "auto"
HEADROOM = 0.75  # of a frame interval the effects and the encoder may take
WARMUP_FRAMES = 2  # the first frames find the face and open the encoder: not counted
MEASURE_FRAMES = 4


@dataclass(frozen=True)
class OutputMode:
    key: str  # as stored in the settings: "720p30"
    label: str
    height: int
    fps: float
    bitrate: int  # bits per second at this size and rate

    @property
    def width(self) -> int:
        return round(self.height * 16 / 9) // 2 * 2

    @property
    def budget_ms(self) -> float:
        """Milliseconds of effects + encoding a frame may cost at this frame rate."""
        return HEADROOM * 1000.0 / self.fps

    @property
    def level(self) -> QualityLevel:
        """This mode as a level to publish at."""
        return QualityLevel(self.key, self.label, self.height, self.fps, self.bitrate)

    @property
    def size(self) -> tuple[int, int]:
        """The box frames are fitted into (width, height)."""
        return self.width, self.height

    def cap(self, level: QualityLevel) -> QualityLevel:
        """What to publish when the network allows ``level`` and this mode is the ceiling.

        A network level above the mode gives the mode itself; at or below it the network's
        level stands (it also knows the link's bitrate), at no more than the mode's rate.
        """
        if level.height > self.height:
            return self.level
        if level.fps <= self.fps:
            return level
        return QualityLevel(level.name, level.label, level.height, self.fps, level.bitrate)


MODES: tuple[OutputMode, ...] = (  # largest first
    OutputMode("1080p30", "1080p · 30 fps", 1080, 30.0, 2_500_000),
    OutputMode("720p60", "720p · 60 fps", 720, 60.0, 2_500_000),
    OutputMode("720p30", "720p · 30 fps", 720, 30.0, 1_500_000),
    OutputMode("480p30", "480p · 30 fps", 480, 30.0, 800_000),
)
BY_KEY = {mode.key: mode for mode in MODES}
UNMEASURED_AUTO = BY_KEY["720p30"]  # what Auto means until this machine has been measured
SIXTY = BY_KEY["720p60"]

Measurement = Mapping[str, float]  # mode key -> milliseconds of effects + encoding a frame


def fits(mode: OutputMode, measurement: Measurement) -> bool:
    cost = measurement.get(mode.key)
    return cost is not None and cost <= mode.budget_ms


def auto_choice(measurement: Measurement) -> OutputMode:
    """The largest 30 fps mode whose measured cost leaves headroom (else the smallest)."""
    if not measurement:
        return UNMEASURED_AUTO
    thirty = [m for m in MODES if m.fps == 30.0]
    return next((m for m in thirty if fits(m, measurement)), thirty[-1])


def offered(measurement: Measurement) -> list[OutputMode]:
    """The modes a person may pick: all but 720p60, which only where the CPU allows it."""
    return [m for m in MODES if m is not SIXTY or fits(m, measurement)]


def applies(choice: str, measurement: Measurement) -> str:
    """A stored choice as it applies here: a mode's key, or AUTO (for "auto", for a key this
    version does not know, and for a mode this computer is not offered)."""
    mode = BY_KEY.get(choice)
    return choice if mode is not None and mode in offered(measurement) else AUTO


def resolve(choice: str, measurement: Measurement) -> OutputMode:
    """The mode a stored choice means here."""
    applied = applies(choice, measurement)
    return auto_choice(measurement) if applied == AUTO else BY_KEY[applied]


def step_down(mode: OutputMode, network: QualityLevel) -> OutputMode | None:
    """The next mode below ``mode`` that publishes less than now, where the network allows
    ``network``; None when no mode would (the bottom, or the network is already lower)."""
    now = mode.cap(network)
    for lower in MODES[MODES.index(mode) + 1 :]:
        if lower.cap(network) != now:
            return lower
    return None


def cleaned(stored: Mapping[str, object]) -> dict[str, float]:
    """A stored measurement with only known modes and positive numbers (a hand-edited or
    older settings file must not break the choice)."""
    return {
        key: float(value)
        for key, value in stored.items()
        if key in BY_KEY and isinstance(value, int | float) and not isinstance(value, bool)
        if value > 0
    }


def measure(
    frame: Image,
    effects: Sequence[VideoFilter],
    codec: str,
    *,
    frames: int = MEASURE_FRAMES,
    warmup: int = WARMUP_FRAMES,
    on_progress: Callable[[float], None] | None = None,
) -> dict[str, float]:
    """Time ``effects`` and the encoder on ``frame`` scaled to each mode's size, smallest
    first; once a size is too slow for 30 fps the larger ones are not measured (they would
    not fit either), so a slow computer is not kept waiting longest.

    Blocking (a second or two): call it off the UI thread. ``effects`` must be copies the
    caller does not use meanwhile; they run in a pipeline of their own that is closed here.
    ``on_progress`` gets the fraction done (0–1) after every frame.
    """
    if frames < 1:
        raise ValueError("measure at least one frame per size")
    sizes = sorted({(m.width, m.height) for m in MODES})
    per_size: dict[tuple[int, int], float] = {}
    total = len(sizes) * (warmup + frames)
    pipeline = Pipeline()
    pipeline.set_filters(effects)
    try:
        for width, height in sizes:
            scaled = np.asarray(cv2.resize(frame, (width, height)), np.uint8)
            encoder = VideoEncoder(codec)
            costs: list[float] = []
            for index in range(warmup + frames):
                started = time.perf_counter()
                encoder.encode(pipeline.process(scaled), index * 3000, 1_500_000, 30.0)
                if index >= warmup:
                    costs.append((time.perf_counter() - started) * 1000.0)
                if on_progress is not None:
                    on_progress((len(per_size) * (warmup + frames) + index + 1) / total)
            cost = per_size[width, height] = statistics.median(costs)
            if cost > max(m.budget_ms for m in MODES if m.height == height):
                break
    finally:
        pipeline.close()
    if on_progress is not None:
        on_progress(1.0)
    return {
        m.key: round(per_size[m.width, m.height], 2)
        for m in MODES
        if (m.width, m.height) in per_size
    }
