"""View state the studio renders, built from REST snapshots and server events (no Qt).

The backend decides every number: scores, timers, winner and rewards. These classes only keep
the latest server facts and answer the questions a view asks ("how many seconds are left by
the server's clock?", "what share of the bar is mine?").
"""

from __future__ import annotations

import enum
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.contract import PK
from studio.core.events import ServerEvent
from studio.core.models import Battle, GiftEvent, Supporter

FEED_LENGTH = 40


class ServerClock:
    """The server's wall clock as seen from here: deadlines are counted on it, not ours."""

    def __init__(self) -> None:
        self.offset = 0.0  # server time minus local time, in seconds

    def observe(self, server_time: datetime | None) -> None:
        if server_time is not None:
            self.offset = server_time.timestamp() - time.time()

    def now(self) -> float:
        return time.time() + self.offset

    def seconds_until(self, deadline: datetime | None) -> float:
        if deadline is None:
            return 0.0
        return max(0.0, deadline.timestamp() - self.now())


class PKPhase(enum.StrEnum):
    IDLE = "idle"  # no battle: search for an opponent and challenge
    OUTGOING = "outgoing"  # my challenge waits for the opponent
    INCOMING = "incoming"  # someone challenged me
    LIVE = "live"
    RESULT = "result"  # ended, cancelled, declined or expired


@dataclass(frozen=True)
class BattleResult:
    outcome: str  # won, lost, draw, cancelled, declined, expired
    my_score: int
    their_score: int
    coins: int
    xp: int
    opponent: str

    @property
    def headline(self) -> str:
        return {
            "won": "Victory!",
            "lost": "Defeat",
            "draw": "It's a draw",
            "declined": "Challenge declined",
            "expired": "Challenge expired",
        }.get(self.outcome, "Battle cancelled")


class PKState:
    """One host's view of their current battle."""

    def __init__(self, me: str) -> None:
        self.me = me
        self.battle: Battle | None = None
        self.scores: dict[str, int] = {"host1": 0, "host2": 0}
        self.supporters: dict[str, tuple[Supporter, ...]] = {"host1": (), "host2": ()}
        self.feed: deque[GiftEvent] = deque(maxlen=FEED_LENGTH)
        self.result: BattleResult | None = None
        self.clock = ServerClock()

    # ---- questions views ask --------------------------------------------------------
    @property
    def phase(self) -> PKPhase:
        if self.result is not None:
            return PKPhase.RESULT
        battle = self.battle
        if battle is None:
            return PKPhase.IDLE
        if battle.status == "active":
            return PKPhase.LIVE
        return PKPhase.OUTGOING if battle.host1.id == self.me else PKPhase.INCOMING

    @property
    def my_side(self) -> str:
        assert self.battle is not None
        return self.battle.side_of(self.me) or "host1"

    @property
    def their_side(self) -> str:
        return "host2" if self.my_side == "host1" else "host1"

    def my_share(self) -> float:
        """My fraction of the combined score (0.5 while nobody has scored)."""
        mine, theirs = self.scores[self.my_side], self.scores[self.their_side]
        return 0.5 if mine + theirs == 0 else mine / (mine + theirs)

    def seconds_left(self) -> float:
        """Time to the battle's end, or to the invitation's expiry while it waits."""
        battle = self.battle
        if battle is None or self.result is not None:
            return 0.0
        deadline = battle.ends_at if battle.status == "active" else battle.invite_expires_at
        return self.clock.seconds_until(deadline)

    # ---- changes --------------------------------------------------------------------
    def load(self, battle: Battle) -> None:
        """A snapshot from REST (on start, or after the event link reconnects)."""
        if battle.status in ("ended", "cancelled"):
            if self.battle is not None and self.battle.id == battle.id:
                self._finish(battle, battle.end_reason or "cancelled")
            return
        if self.battle is None or self.battle.id != battle.id:
            self.feed.clear()
        self.battle = battle
        self.result = None
        self.clock.observe(battle.server_time)
        self.scores = {"host1": battle.host1.score, "host2": battle.host2.score}
        if battle.top_supporters:
            self.supporters = dict(battle.top_supporters)

    def dismiss(self) -> None:
        """Leave the result card for a fresh challenge."""
        self.battle = None
        self.result = None
        self.feed.clear()
        self.scores = {"host1": 0, "host2": 0}
        self.supporters = {"host1": (), "host2": ()}

    def apply(self, event: ServerEvent) -> bool:
        """Fold one server event in; True when it concerned this host's battle."""
        data = event.data
        if event.name in (PK.CREATED, PK.STARTED):
            battle = Battle.from_wire(data["battle"])
            if battle.side_of(self.me) is None or self._busy_elsewhere(battle.id):
                return False
            self.load(battle)
            return True
        if not self._is_mine(data):
            return False
        if event.name == PK.GIFT:
            gift = GiftEvent.from_wire(data)
            self.feed.appendleft(gift)
            self.scores = {"host1": gift.scores["host1"], "host2": gift.scores["host2"]}
            self.supporters = gift.top_supporters
            return True
        if event.name in (PK.ENDED, PK.CANCELLED, PK.DECLINED):
            battle = Battle.from_wire(data["battle"])
            self._finish(battle, str(data.get("reason") or battle.end_reason or "cancelled"))
            return True
        return False

    def _busy_elsewhere(self, battle_id: str) -> bool:
        return (
            self.battle is not None
            and self.battle.id != battle_id
            and self.phase in (PKPhase.LIVE, PKPhase.OUTGOING)
        )

    def _is_mine(self, data: dict[str, Any]) -> bool:
        battle_id = data.get("battleId") or (data.get("battle") or {}).get("id")
        return self.battle is not None and battle_id == self.battle.id

    def _finish(self, battle: Battle, reason: str) -> None:
        self.battle = battle
        self.scores = {"host1": battle.host1.score, "host2": battle.host2.score}
        side = battle.side_of(self.me) or "host1"
        other = "host2" if side == "host1" else "host1"
        reward = (battle.rewards or {}).get(self.me, {})
        if battle.status == "ended":
            outcome = "draw" if battle.is_draw else ("won" if battle.winner == self.me else "lost")
        else:
            outcome = reason if reason in ("declined", "expired") else "cancelled"
        self.result = BattleResult(
            outcome=outcome,
            my_score=self.scores[side],
            their_score=self.scores[other],
            coins=int(reward.get("coins", 0)),
            xp=int(reward.get("xp", 0)),
            opponent=battle.host(other).label,
        )
