"""Which node's SFU holds each live stream, when several nodes share one PostgreSQL database.

A studio publishes to whichever node its WHIP request reached; that node's SFU holds the
stream and records it here (``media_streams``) beside its own address and heartbeat
(``media_nodes``). A viewer's WHEP request that reaches another node is forwarded to the
holder (backend/api/media_routing.py). A node that stops beating for ``ttl`` seconds is dead:
lookups ignore it at once, and the next live node's heartbeat deletes its rows and reports its
streams as ended.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.storage.db import Database, iso, utc_now

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Holder:
    """The live node that holds a stream."""

    node_id: str
    url: str


@dataclass(frozen=True)
class HeldStream:
    """A live stream as the registry knows it (for the lists of who is live)."""

    stream: str
    owner_id: str
    node_id: str
    members_only: bool
    has_still: bool


class MediaNodes:
    def __init__(self, db: Database, url: str, ttl: float, clock: Clock = utc_now) -> None:
        self.db = db
        self.id = uuid.uuid4().hex
        self.url = url
        self.ttl = ttl
        self.clock = clock

    def _oldest_live(self) -> str:
        return iso(self.clock() - timedelta(seconds=self.ttl))

    def beat(self) -> list[str]:
        """Say this node is alive; release the streams of dead nodes (returned, to end them)."""
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO media_nodes (id, url, seenAt) VALUES (?, ?, ?) ON CONFLICT (id)"
                " DO UPDATE SET url = excluded.url, seenAt = excluded.seenAt",
                (self.id, self.url, iso(self.clock())),
            )
            dead = [
                row["id"]
                for row in self.db.all(
                    "SELECT id FROM media_nodes WHERE seenAt < ?", (self._oldest_live(),)
                )
            ]
            released: list[str] = []
            for node_id in dead:
                released += [
                    row["stream"]
                    for row in self.db.all(
                        "SELECT stream FROM media_streams WHERE nodeId = ?", (node_id,)
                    )
                ]
                self.db.execute("DELETE FROM media_streams WHERE nodeId = ?", (node_id,))
                self.db.execute("DELETE FROM media_nodes WHERE id = ?", (node_id,))
        return released

    def claim(self, stream: str, owner_id: str, members_only: bool = False) -> None:
        """This node's SFU holds ``stream`` now (a publisher went live here)."""
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO media_streams (stream, nodeId, ownerId, since, membersOnly)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (stream) DO UPDATE SET"
                " nodeId = excluded.nodeId, ownerId = excluded.ownerId, since = excluded.since,"
                " membersOnly = excluded.membersOnly, stillAt = NULL",
                (stream, self.id, owner_id, iso(self.clock()), members_only),
            )

    def still_taken(self, stream: str) -> None:
        """This node has a still of ``stream`` (the first one of its live: later ones are
        not written)."""
        with self.db.transaction():
            self.db.execute(
                "UPDATE media_streams SET stillAt = ?"
                " WHERE stream = ? AND nodeId = ? AND stillAt IS NULL",
                (iso(self.clock()), stream, self.id),
            )

    def release(self, stream: str) -> None:
        """``stream`` lost its publisher here (another node may hold it since: left alone)."""
        with self.db.transaction():
            self.db.execute(
                "DELETE FROM media_streams WHERE stream = ? AND nodeId = ?", (stream, self.id)
            )

    def holder(self, stream: str) -> Holder | None:
        """The live node holding ``stream`` (None: nobody publishes it, or a dead node did)."""
        row = self.db.one(
            "SELECT n.id, n.url FROM media_streams s JOIN media_nodes n ON n.id = s.nodeId"
            " WHERE lower(s.stream) = lower(?) AND n.seenAt >= ?",  # any spelling of the name
            (stream, self._oldest_live()),
        )
        return Holder(row["id"], row["url"]) if row else None

    def live_streams(self) -> list[HeldStream]:
        """Every stream a live node holds."""
        rows = self.db.all(
            "SELECT s.stream, s.ownerId, s.nodeId, s.membersOnly, s.stillAt FROM media_streams s"
            " JOIN media_nodes n ON n.id = s.nodeId WHERE n.seenAt >= ? ORDER BY s.stream",
            (self._oldest_live(),),
        )
        return [
            HeldStream(
                row["stream"],
                row["ownerId"],
                row["nodeId"],
                bool(row["membersOnly"]),
                row["stillAt"] is not None,
            )
            for row in rows
        ]

    def live_owners(self) -> set[str]:
        """Whose streams a live node holds."""
        return {held.owner_id for held in self.live_streams()}

    def leave(self) -> None:
        """A clean shutdown: this node's streams and its row go at once."""
        with self.db.transaction():
            self.db.execute("DELETE FROM media_streams WHERE nodeId = ?", (self.id,))
            self.db.execute("DELETE FROM media_nodes WHERE id = ?", (self.id,))

    async def keep_beating(self, on_released: Callable[[list[str]], None]) -> None:
        """Beat every third of the TTL (off the event loop) until cancelled."""
        while True:
            try:
                released = await self.db.off_loop(self.beat)
            except Exception:
                log.exception("media node heartbeat failed")
            else:
                if released:
                    on_released(released)
            await asyncio.sleep(self.ttl / 3)
