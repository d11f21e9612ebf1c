"""Sharing real-time events between backend workers through Redis pub/sub.

Every worker publishes each event once to one channel and delivers what it receives to its own
connections, so a viewer connected to worker B sees a gift accepted by worker A.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from redis import asyncio as aioredis

from backend.realtime.hub import ROOM_SEPARATOR, Hub
from backend.realtime.tasks import cancel_all

log = logging.getLogger(__name__)
CHANNEL = "onair:events"


class RedisBroker:
    def __init__(self, hub: Hub, url: str, channel: str = CHANNEL) -> None:
        self.hub = hub
        self.url = url
        self.channel = channel
        self._redis: aioredis.Redis | None = None
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._redis = aioredis.from_url(self.url)
        await self._redis.ping()
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.channel)
        self._tasks = [
            asyncio.create_task(self._receive(pubsub)),
            asyncio.create_task(self._send()),
        ]
        self.hub.broker = self

    async def stop(self) -> None:
        self.hub.broker = None
        await cancel_all(self._tasks)
        if self._redis is not None:
            await self._redis.aclose()

    def publish(self, rooms: str, text: str) -> None:
        """Called synchronously by the hub; the send task forwards it to Redis in order."""
        self._outbox.put_nowait(json.dumps({"rooms": rooms, "text": text}))

    async def _send(self) -> None:
        assert self._redis is not None
        while True:
            message = await self._outbox.get()
            try:
                await self._redis.publish(self.channel, message)
            except Exception:
                log.exception("redis publish failed; delivering locally only")
                self._deliver(message)

    async def _receive(self, pubsub: Any) -> None:
        async for message in pubsub.listen():
            if message.get("type") == "message":
                self._deliver(message["data"])

    def _deliver(self, raw: str | bytes) -> None:
        envelope = json.loads(raw)
        self.hub.deliver(envelope["rooms"].split(ROOM_SEPARATOR), envelope["text"])
