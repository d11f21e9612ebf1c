"""How fast people may write: token buckets per user and per room (in this worker).

Slow mode and the duplicate-message check read the stored messages instead (see
``messages.py``), so they hold across workers too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChatLimits:
    user_rate: float = 5.0  # messages per second, sustained, per user and room
    user_burst: float = 10.0
    room_rate: float = 400.0  # messages per second into one room
    room_burst: float = 800.0
    duplicate_window_seconds: float = 30.0  # the same text again within this is refused
    retention_days: int = 7
    retention_max_per_stream: int = 5_000
    join_line_interval_seconds: float = 10.0  # at most one "joined" line per room per interval


@dataclass
class _Bucket:
    tokens: float
    stamp: float = field(default_factory=time.monotonic)


class Buckets:
    """One token bucket per key; ``take`` answers how long to wait (0: allowed, token taken)."""

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str) -> float:
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens < 1.0:
            return (1.0 - bucket.tokens) / self.rate
        bucket.tokens -= 1.0
        return 0.0

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled (they equal a new one), to bound memory."""
        refill = self.burst / self.rate
        self._buckets = {key: b for key, b in self._buckets.items() if now - b.stamp < refill}
