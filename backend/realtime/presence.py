"""Who is in a room, across every backend worker.

One process: the hub's own rooms are the truth (``LocalPresence``). Several workers
(``RedisPresence``): each worker keeps, in one Redis hash per room, how many connections each
user has there through this worker, and refreshes a liveness key of its own. A reader sums the
fields of live workers, so the connections of a worker that died stop counting once its key
expires, and whoever reads next deletes them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Protocol

from redis import asyncio as aioredis

from backend.realtime.hub import Connection, Hub
from backend.realtime.tasks import cancel_all

log = logging.getLogger(__name__)
KEY_PREFIX = "onair:presence:"
WORKER_PREFIX = "onair:worker:"
FIELD_SEPARATOR = "|"


class Presence(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def count(self, room: str) -> int: ...

    async def has_user(self, room: str, user_id: str) -> bool: ...


class LocalPresence:
    """One worker: the hub's own rooms are the whole truth, so there is nothing to start."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def count(self, room: str) -> int:
        return self.hub.room_size(room)

    async def has_user(self, room: str, user_id: str) -> bool:
        return any(conn.user.id == user_id for conn in self.hub.members(room))


class RedisPresence:
    def __init__(self, hub: Hub, url: str, ttl: float = 15.0) -> None:
        self.url = url
        self.ttl = ttl
        self.worker = uuid.uuid4().hex
        self._redis: aioredis.Redis | None = None
        self._changes: asyncio.Queue[tuple[str, str, int]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        hub.join_listeners.append(lambda conn, room: self._note(conn, room, 1))
        hub.leave_listeners.append(lambda conn, room: self._note(conn, room, -1))

    async def start(self) -> None:
        self._redis = aioredis.from_url(self.url, decode_responses=True)
        await self._beat()
        self._tasks = [
            asyncio.create_task(self._apply_changes()),
            asyncio.create_task(self._heartbeat()),
        ]

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        if self._redis is not None:
            await self._redis.delete(WORKER_PREFIX + self.worker)
            await self._redis.aclose()

    async def count(self, room: str) -> int:
        return sum((await self._live_fields(room)).values())

    async def has_user(self, room: str, user_id: str) -> bool:
        fields = await self._live_fields(room)
        return any(field.split(FIELD_SEPARATOR, 1)[1] == user_id for field in fields)

    def _note(self, conn: Connection, room: str, delta: int) -> None:
        self._changes.put_nowait((room, conn.user.id, delta))

    async def _apply_changes(self) -> None:
        redis = self._client()
        while True:
            room, user_id, delta = await self._changes.get()
            field = self.worker + FIELD_SEPARATOR + user_id
            try:
                if await redis.hincrby(KEY_PREFIX + room, field, delta) <= 0:
                    await redis.hdel(KEY_PREFIX + room, field)
            except Exception:
                log.exception("presence update for %s failed", room)
            finally:
                self._changes.task_done()

    async def _live_fields(self, room: str) -> dict[str, int]:
        """This room's ``worker|user -> connections`` of live workers, after our own changes."""
        await self._changes.join()
        redis = self._client()
        fields = {str(f): str(n) for f, n in (await redis.hgetall(KEY_PREFIX + room)).items()}
        workers = sorted({field.split(FIELD_SEPARATOR, 1)[0] for field in fields})
        alive = await redis.mget([WORKER_PREFIX + w for w in workers]) if workers else []
        live_workers = {w for w, flag in zip(workers, alive, strict=True) if flag is not None}
        dead = [f for f in fields if f.split(FIELD_SEPARATOR, 1)[0] not in live_workers]
        if dead:
            await redis.hdel(KEY_PREFIX + room, *dead)
        return {f: int(n) for f, n in fields.items() if f not in dead and int(n) > 0}

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self._beat()
            except Exception:
                log.exception("presence heartbeat failed")

    async def _beat(self) -> None:
        await self._client().set(WORKER_PREFIX + self.worker, "1", ex=max(1, round(self.ttl)))

    def _client(self) -> aioredis.Redis:
        if self._redis is None:
            raise RuntimeError("RedisPresence.start() has not run")
        return self._redis
