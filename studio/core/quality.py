"""Quality adaptation from RTCP statistics: the spec's table (``wire.quality``) plus
hysteresis, and the reader that turns aiortc sender statistics into samples.

Hysteresis: the level drops to what the link supports after ``down_after`` bad samples in a
row, and rises one level at a time after ``up_after`` good samples in a row; an upgrade that is
followed by a drop doubles the good run the next upgrade needs (up to 8x), so a marginal link
does not oscillate. Everything counts samples (one per receiver report), never wall-clock time.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiortc.stats import RTCStatsReport

from wire.quality import LEVELS, Condition, NetworkSample, QualityLevel, classify

__all__ = [
    "LEVELS",
    "Condition",
    "NetworkSample",
    "QualityController",
    "QualityLevel",
    "StatsReader",
    "classify",
]


class QualityController:
    """Turns a stream of samples into a level, with hysteresis."""

    def __init__(
        self,
        start: Condition = Condition.GOOD,
        highest: Condition = Condition.EXCELLENT,
        down_after: int = 2,
        up_after: int = 4,
    ) -> None:
        self.condition = start
        self.highest = highest
        self.down_after = down_after
        self.up_after = up_after
        self.last_sample: NetworkSample | None = None
        self.last_reading: Condition | None = None
        self._bad = 0
        self._good = 0
        self._penalty = 1
        self._probing = False

    @property
    def level(self) -> QualityLevel:
        return LEVELS[self.condition]

    def update(self, sample: NetworkSample) -> QualityLevel | None:
        """Feed one sample; returns the new level when it changes."""
        self.last_sample = sample
        reading = min(classify(sample), self.highest)
        self.last_reading = reading
        if reading < self.condition:
            self._good = 0
            self._bad += 1
            if self._bad >= self.down_after:
                if self._probing:
                    self._penalty = min(8, self._penalty * 2)
                return self._change(reading, probing=False)
        elif reading > self.condition:
            self._bad = 0
            self._good += 1
            if self._good >= self.up_after * self._penalty:
                return self._change(Condition(self.condition + 1), probing=True)
        else:
            self._bad = 0
            self._good = 0
            if self._probing:  # the upgrade held for a while: it was a good one
                self._probing = False
                self._penalty = 1
        return None

    def _change(self, condition: Condition, probing: bool) -> QualityLevel:
        self.condition = condition
        self._bad = 0
        self._good = 0
        self._probing = probing
        return self.level


@dataclass
class StatsReader:
    """Turns successive ``RTCRtpSender.getStats()`` reports into :class:`NetworkSample`s.

    ``last_report_at`` is when the newest receiver report arrived (a datetime timestamp), so a
    caller can tell a dead link (no reports any more) from a bad one.
    """

    _bytes: int | None = None
    _at: float | None = None
    last_report_at: float | None = None
    sent_kbps: float = 0.0

    def read(self, report: RTCStatsReport) -> NetworkSample | None:
        outbound = remote = None
        for stats in report.values():
            if stats.type == "outbound-rtp":
                outbound = stats
            elif stats.type == "remote-inbound-rtp":
                remote = stats
        if outbound is None:
            return None
        at = outbound.timestamp.timestamp()
        if self._bytes is not None and self._at is not None and at > self._at:
            self.sent_kbps = (outbound.bytesSent - self._bytes) * 8 / (at - self._at) / 1000
        self._bytes, self._at = outbound.bytesSent, at
        if remote is None:
            return None
        self.last_report_at = remote.timestamp.timestamp()
        loss = (remote.fractionLost or 0) / 256 * 100
        rtt = remote.roundTripTime * 1000 if remote.roundTripTime is not None else None
        return NetworkSample(rtt, loss, self.sent_kbps * (1 - loss / 100))
