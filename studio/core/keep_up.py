"""Is this computer keeping up with the broadcast? (no Qt)

The publisher reports the frames it really sent per second twice a second. When that stays
well under the rate it should send (the level's, or the source's when that is lower) for
several seconds, the studio is dropping frames: effects plus encoding cost more than a frame
interval. It is said once per episode; the episode ends when the rate has recovered for a
while, and only then may it be said again. Counts reports, never wall-clock time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

STRUGGLING_BELOW = 0.7  # of the target rate
RECOVERED_ABOVE = 0.85
STRUGGLING_AFTER = 8  # reports in a row (the publisher reports every 0.5 s: 4 s)
RECOVERED_AFTER = 6


class KeepUp(enum.Enum):
    STRUGGLING = "struggling"  # the episode began: tell the person
    RECOVERED = "recovered"  # it ended: stop telling them


@dataclass
class KeepUpWatch:
    struggling_after: int = STRUGGLING_AFTER
    recovered_after: int = RECOVERED_AFTER
    struggling: bool = False
    _slow: int = field(default=0, init=False)
    _fine: int = field(default=0, init=False)

    def update(self, fps: float, target_fps: float) -> KeepUp | None:
        """Feed one report (frames sent per second, and the rate wanted); returns a change."""
        if target_fps <= 0:
            return None
        ratio = fps / target_fps
        self._slow = self._slow + 1 if ratio < STRUGGLING_BELOW else 0
        self._fine = self._fine + 1 if ratio >= RECOVERED_ABOVE else 0
        if not self.struggling and self._slow >= self.struggling_after:
            self.struggling = True
            return KeepUp.STRUGGLING
        if self.struggling and self._fine >= self.recovered_after:
            self.struggling = False
            return KeepUp.RECOVERED
        return None

    def reset(self) -> None:
        """A new broadcast, or the quality was just lowered: start counting afresh."""
        self.struggling = False
        self._slow = self._fine = 0
