"""The spec's network-quality table, shared by the backend (quality/adapt, connection monitor)
and the studio's quality controller.

    Excellent  > 2 Mbps,        < 50 ms,     < 1 % loss   → Full HD (1080p)
    Good       1–2 Mbps,        50–100 ms,   1–3 %        → HD (720p)
    Fair       500 kbps–1 Mbps, 100–200 ms,  3–5 %        → SD (480p)
    Poor       < 500 kbps,      > 200 ms,    > 5 %        → low

Per metric, the worst one decides. A link's capacity only shows when it is congested: a clean
link carries more than a sender puts on it, so the sender's own rate says nothing about it.
The delivered bitrate therefore limits the condition only while the link shows congestion
(loss ≥ 1 % or RTT ≥ 50 ms).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Condition(IntEnum):
    POOR = 0
    FAIR = 1
    GOOD = 2
    EXCELLENT = 3


@dataclass(frozen=True)
class QualityLevel:
    name: str  # low, sd, hd, fullhd
    label: str
    height: int
    fps: float
    bitrate: int  # bits per second

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        """This level's frame size for a ``width`` x ``height`` source (never upscaled)."""
        target = min(self.height, height)
        scaled = round(width * target / height)
        return scaled // 2 * 2, target // 2 * 2


LEVELS: dict[Condition, QualityLevel] = {
    Condition.POOR: QualityLevel("low", "Low (360p)", 360, 15.0, 300_000),
    Condition.FAIR: QualityLevel("sd", "SD (480p)", 480, 30.0, 800_000),
    Condition.GOOD: QualityLevel("hd", "HD (720p)", 720, 30.0, 1_500_000),
    Condition.EXCELLENT: QualityLevel("fullhd", "Full HD (1080p)", 1080, 30.0, 2_500_000),
}


@dataclass(frozen=True)
class NetworkSample:
    rtt_ms: float | None  # None until the first round trip has been measured
    loss_pct: float
    bitrate_kbps: float  # what the link delivered of our stream in the last interval

    @property
    def congested(self) -> bool:
        return self.loss_pct >= 1.0 or (self.rtt_ms or 0.0) >= 50.0


def classify(sample: NetworkSample) -> Condition:
    """The spec's table; the worst metric wins."""
    rtt = sample.rtt_ms or 0.0
    by_rtt = _grade(rtt, (50.0, 100.0, 200.0), lower_is_better=True)
    by_loss = _grade(sample.loss_pct, (1.0, 3.0, 5.0), lower_is_better=True)
    condition = min(by_rtt, by_loss)
    if sample.congested:
        condition = min(condition, _grade(sample.bitrate_kbps, (2000.0, 1000.0, 500.0), False))
    return condition


def _grade(value: float, limits: tuple[float, float, float], lower_is_better: bool) -> Condition:
    excellent, good, fair = limits
    if lower_is_better:
        if value < excellent:
            return Condition.EXCELLENT
        if value <= good:
            return Condition.GOOD
        return Condition.FAIR if value <= fair else Condition.POOR
    if value > excellent:
        return Condition.EXCELLENT
    if value >= good:
        return Condition.GOOD
    return Condition.FAIR if value >= fair else Condition.POOR
