"""PK battles: the battle, its gifts, results and leaderboards, as REST answers and events."""

from __future__ import annotations

from typing import Literal

from wire.base import Replayable, Timestamp, WireModel
from wire.events import PK
from wire.users import UserCard
from wire.wallet import Balance

Side = Literal["host1", "host2"]
BattleStatus = Literal["pending", "active", "ended", "cancelled"]
EndReason = Literal["time", "forfeit"]
CancelReason = Literal["cancelled", "declined", "expired"]
Period = Literal["daily", "weekly", "monthly", "all-time"]
Metric = Literal["wins", "coins"]


class BattleHost(UserCard):
    score: int


class LiveHost(BattleHost):
    """A host as a battle's detail shows them: ``live`` is whether they publish a stream now
    (null when this backend cannot tell, its media going to another server)."""

    live: bool | None


class Scores(WireModel):
    host1: int
    host2: int


class Reward(WireModel):
    coins: int
    xp: int


class Supporter(UserCard):
    coins: int  # given to this side of the battle


class TopSupporters(WireModel):
    """The biggest givers of each side, most coins first."""

    host1: list[Supporter]
    host2: list[Supporter]

    def side(self, side: Side) -> list[Supporter]:
        return self.host1 if side == "host1" else self.host2


class Battle(WireModel):
    id: str
    status: BattleStatus
    title: str
    duration: int  # minutes
    host1: BattleHost
    host2: BattleHost
    scores: Scores
    gift_count: int
    viewer_count: int
    winner: str | None
    is_draw: bool
    rewards: dict[str, Reward] | None  # by host id, once ended
    invite_expires_at: Timestamp | None
    started_at: Timestamp | None
    ends_at: Timestamp | None
    ended_at: Timestamp | None
    end_reason: EndReason | CancelReason | None
    forfeited_by: str | None  # the host who ended a running battle early (and so lost)
    created_at: Timestamp
    updated_at: Timestamp
    server_time: Timestamp

    def side_of(self, user_id: str) -> Side | None:
        if user_id == self.host1.id:
            return "host1"
        if user_id == self.host2.id:
            return "host2"
        return None

    def host(self, side: Side) -> BattleHost:
        return self.host1 if side == "host1" else self.host2

    def opponent_of(self, user_id: str) -> BattleHost:
        return self.host2 if user_id == self.host1.id else self.host1


class BattleStanding(Battle):
    """A battle with its top supporters (a stream's snapshot shows its battle so)."""

    top_supporters: TopSupporters


class BattleDetail(BattleStanding):
    """``GET /api/pk-battles/{id}``: the battle, its top supporters, who of its hosts is live."""

    host1: LiveHost
    host2: LiveHost


class BattleStats(WireModel):
    battles: int
    wins: int
    draws: int
    losses: int
    coins_received: int


class UserBattles(WireModel):
    """``GET /api/pk-battles/user/{id}``: a user's battles, newest first, and their record."""

    battles: list[Battle]
    stats: BattleStats


class Ranking(WireModel):
    rank: int
    user: UserCard
    wins: int
    coins: int


class Leaderboard(WireModel):
    period: Period
    metric: Metric
    entries: list[Ranking]


class SentGift(WireModel):
    """One gift as the battle's feed shows it."""

    gift_id: str
    name: str
    icon: str
    quantity: int
    coins: int
    to_host: str
    side: Side
    sender: UserCard


class GiftEvent(WireModel):
    """``pk-battle:gift``: a gift, the new scores and top supporters. ``scores`` holds each
    side's score twice: under ``host1``/``host2`` and under the host's user id."""

    battle_id: str
    gift: SentGift
    scores: dict[str, int]
    top_supporters: TopSupporters


class GiftReceipt(GiftEvent, Replayable):
    """The answer to ``POST /api/pk-battles/{id}/gift``: the event, and the sender's balance."""

    balance: Balance


class BattleChanged(WireModel):
    """``pk-battle:created`` and ``pk-battle:started``."""

    battle: Battle


class BattleCancelled(WireModel):
    battle: Battle
    by: str | None  # the host who cancelled or declined; null when the invitation expired
    reason: CancelReason


class BattleEnded(WireModel):
    battle_id: str
    winner: str | None
    is_draw: bool
    rewards: dict[str, Reward]
    scores: Scores
    reason: EndReason
    forfeited_by: str | None
    battle: Battle


EVENTS: dict[str, type[WireModel]] = {
    PK.CREATED: BattleChanged,
    PK.STARTED: BattleChanged,
    PK.GIFT: GiftEvent,
    PK.ENDED: BattleEnded,
    PK.CANCELLED: BattleCancelled,
}
