"""Likes: a viewer taps hearts, the page sends the taps in batches, the server counts them.

Each viewer has a bucket of ``BURST`` likes refilled at ``RATE`` a second: a batch counts as
far as the bucket allows (the rest are refused, and a batch that counts none is a 429). One
backend keeps the buckets in memory (``LocalLikeRate``); several nodes keep them in the Redis
they share (``RedisLikeRate``), so a viewer spreading taps over the nodes gets one budget, not
one a node. Taps that count are added to the stream's pending likes; at most once per
``interval`` the pending likes of a stream are written in one statement and announced in one
``stream:likes`` event to the stream's room and its streamer, however many taps came in. When
the stream stops, or the backend does, what is pending is written at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis import asyncio as aioredis

from backend.errors import InvalidInput, RateLimited
from backend.events import EventSink
from backend.storage.db import Database, now_iso
from wire.events import Stream, stream_room, user_room
from wire.social import LIKES_INTERVAL, MAX_LIKES_PER_REQUEST, LikesAccepted, StreamLikes

BURST = 30.0  # likes a viewer may send at once
RATE = 15.0  # likes a second a viewer's bucket refills by
IDLE_BUCKETS = 10_000  # buckets kept before the full (idle) ones are forgotten
REDIS_PREFIX = "onair:like-bucket:"


class LikeRate(Protocol):
    async def take(self, viewer_id: str, count: int) -> int:
        """How many of ``count`` likes count now (at least one, else ``RateLimited``)."""
        ...

    async def close(self) -> None: ...


def _refused(tokens: float, rate: float) -> RateLimited:
    """No like counts now: the bucket has ``tokens`` (less than one), refilling at ``rate``."""
    wait = (1 - tokens) / rate
    return RateLimited("You are liking faster than hearts can fly: wait a moment.", wait)


@dataclass
class Bucket:
    tokens: float
    at: float


class LocalLikeRate:
    """Per viewer, in this process (one backend): a token bucket."""

    def __init__(
        self, burst: float = BURST, rate: float = RATE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.rate = rate
        self.clock = clock  # tests stop time to count exactly
        self._buckets: dict[str, Bucket] = {}

    async def take(self, viewer_id: str, count: int) -> int:
        now = self.clock()
        bucket = self._buckets.get(viewer_id)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[viewer_id] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        taken = min(count, int(bucket.tokens))
        if taken == 0:
            raise _refused(bucket.tokens, self.rate)
        bucket.tokens -= taken
        return taken

    async def close(self) -> None:
        return None

    def _forget_idle(self, now: float) -> None:
        if len(self._buckets) < IDLE_BUCKETS:
            return
        full_after = self.burst / self.rate
        for viewer, bucket in list(self._buckets.items()):
            if now - bucket.at >= full_after:
                del self._buckets[viewer]


# Refill, take and store in one step, so two nodes taking from one bucket at once cannot both
# spend the same tokens. A clock behind the stored one (another node's) refills nothing.
# KEYS[1]: the bucket; ARGV: burst, rate, now, count, seconds to keep an idle bucket.
# Answers the likes taken and the tokens there were before (a string: Lua would cut it).
_TAKE_SCRIPT = """
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local now, count = tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local taken = math.min(count, math.floor(tokens))
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - taken), 'at', tostring(at))
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {taken, tostring(tokens)}
"""


class RedisLikeRate:
    """Per viewer, in the Redis that several backend nodes share: one bucket across nodes.

    Time is each node's wall clock (nodes keep theirs in step; a monotonic clock is not
    comparable between machines)."""

    def __init__(
        self,
        url: str,
        burst: float = BURST,
        rate: float = RATE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.burst = burst
        self.rate = rate
        self.clock = clock
        self._redis = aioredis.from_url(url, decode_responses=True)
        self._take = self._redis.register_script(_TAKE_SCRIPT)
        self._keep_s = math.ceil(burst / rate) + 1  # a bucket idle this long is full anyway

    async def take(self, viewer_id: str, count: int) -> int:
        args = (self.burst, self.rate, repr(self.clock()), count, self._keep_s)
        taken, tokens = await self._take(keys=[REDIS_PREFIX + viewer_id], args=args)
        if int(taken) == 0:
            raise _refused(float(tokens), self.rate)
        return int(taken)

    async def close(self) -> None:
        await self._redis.aclose()


class Likes:
    def __init__(
        self,
        db: Database,
        events: EventSink,
        rate: LikeRate | None = None,
        interval: float = LIKES_INTERVAL,
    ) -> None:
        self.db = db
        self.events = events
        self.rate: LikeRate = rate or LocalLikeRate()
        self.interval = interval
        self._pending: dict[str, tuple[str, int]] = {}  # stream → (owner id, likes)

    def total(self, stream: str) -> int:
        """The live's likes: those written and those waiting to be."""
        stored = self.db.scalar("SELECT likes FROM stream_details WHERE stream = ?", (stream,))
        return int(stored or 0) + self._pending.get(stream, ("", 0))[1]

    async def like(self, stream: str, owner_id: str, viewer_id: str, count: int) -> LikesAccepted:
        if not 1 <= count <= MAX_LIKES_PER_REQUEST:
            raise InvalidInput(
                f"Send between 1 and {MAX_LIKES_PER_REQUEST} likes at a time.",
                code="invalid_like_count",
            )
        accepted = await self.rate.take(viewer_id, count)
        waiting = stream in self._pending
        self._pending[stream] = (owner_id, self._pending.get(stream, ("", 0))[1] + accepted)
        if not waiting:
            self._schedule(stream)
        return LikesAccepted(stream=stream, accepted=accepted, total=self.total(stream))

    def _schedule(self, stream: str) -> None:
        try:
            self.db.call_later(self.interval, self.flush, stream)
        except RuntimeError:  # called off the event loop (a script): write at once
            self.flush(stream)

    def flush_all(self) -> None:
        """Write every stream's pending likes (the backend is stopping)."""
        for stream in list(self._pending):
            self.flush(stream)

    def flush(self, stream: str) -> None:
        """Write a stream's pending likes and announce the new total (one event)."""
        pending = self._pending.pop(stream, None)
        if pending is None:
            return
        owner_id, added = pending
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO stream_details (stream, ownerId, likes, updatedAt)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (stream) DO UPDATE SET"
                " likes = stream_details.likes + excluded.likes, updatedAt = excluded.updatedAt",
                (stream, owner_id, added, now_iso()),
            )
            total = int(
                self.db.scalar("SELECT likes FROM stream_details WHERE stream = ?", (stream,))
            )
            news = StreamLikes(stream=stream, total=total, added=added)
            rooms = (stream_room(stream), user_room(owner_id))
            self.db.after_commit(lambda: self.events.publish_many(rooms, Stream.LIKES, news))
