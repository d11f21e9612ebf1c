"""``GET /api/streams/{stream}``: everything a viewer page needs about a stream in one read."""

from __future__ import annotations

from wire.base import Timestamp, WireModel
from wire.multihost import CohostSession
from wire.pk import BattleStanding
from wire.shopping import ShopSession
from wire.users import UserCard


class StreamSnapshot(WireModel):
    """A stream is named after its streamer (``username`` or ``username~label``). ``live`` is
    whether it has a publisher (null when media goes to another server); ``battle`` is the
    streamer's running battle, or one that ended in the last minute (its result)."""

    stream: str
    streamer: UserCard
    live: bool | None
    whep_url: str
    viewer_count: int
    title: str  # the live's title as the streamer set it ("" when none)
    category: str
    followers: int
    following: bool  # whether the viewer follows the streamer
    likes: int  # the current (or last) live's likes
    battle: BattleStanding | None
    multihost: CohostSession | None  # the streamer's live co-host session
    shopping: ShopSession | None  # the streamer's live shopping session
    server_time: Timestamp
