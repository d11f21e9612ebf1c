"""Gifts on every live (outside PK battles too) and a streamer's gift income."""

from __future__ import annotations

from wire.base import Replayable, Timestamp, WireModel
from wire.events import Stream
from wire.pk import TopSupporters
from wire.users import UserCard
from wire.wallet import Balance


class StreamGift(WireModel):
    """One gift to a host of a live: what, how many, for how many coins, from whom, to whom."""

    gift_id: str
    name: str
    icon: str
    quantity: int
    coins: int
    sender: UserCard
    recipient: UserCard


class StreamGiftEvent(WireModel):
    """``stream:gift``: a gift sent on a live outside a PK battle (a battle's gifts are
    ``pk-battle:gift``). ``stream`` is the live it was sent on, ``streamer_id`` its owner."""

    stream: str
    streamer_id: str
    gift: StreamGift


class BattleScore(WireModel):
    """A gift sent during a PK battle counted for it: the battle's new scores."""

    battle_id: str
    scores: dict[str, int]
    top_supporters: TopSupporters


class StreamGiftReceipt(Replayable):
    """The answer to ``POST /api/streams/{stream}/gift``: the gift, the sender's balance and,
    when the gift counted for a running PK battle, that battle's new score."""

    stream: str
    gift: StreamGift
    balance: Balance
    battle: BattleScore | None


class Gifter(UserCard):
    coins: int  # given since the moment asked about


class GiftIncome(WireModel):
    """``GET /api/gifts/income``: what the signed-in streamer received since ``since`` (the
    start of the current live), battle gifts included, and its biggest givers."""

    since: Timestamp
    coins: int
    gifts: int  # gifts received (a ×5 counts five)
    top_gifters: list[Gifter]


EVENTS: dict[str, type[WireModel]] = {Stream.GIFT: StreamGiftEvent}
