"""Deadlines stored in the database and run by one task, so a restart loses none of them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from backend.storage.db import Database, iso, parse_iso, utc_now

log = logging.getLogger(__name__)

DeadlineHandler = Callable[[str], None]
MAX_SLEEP_SECONDS = 5.0
RETRY_SECONDS = 5.0


class Scheduler:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.handlers: dict[str, DeadlineHandler] = {}
        self._wake = asyncio.Event()

    def on(self, kind: str, handler: DeadlineHandler) -> None:
        self.handlers[kind] = handler

    def schedule(self, kind: str, ref_id: str, due: datetime) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM deadlines WHERE kind = ? AND refId = ?", (kind, ref_id))
            self.db.insert("deadlines", {"kind": kind, "refId": ref_id, "dueAt": iso(due)})
        self._wake.set()

    def cancel(self, kind: str, ref_id: str) -> None:
        self.db.execute("DELETE FROM deadlines WHERE kind = ? AND refId = ?", (kind, ref_id))

    def run_due(self, now: datetime | None = None) -> int:
        """Run every deadline that is due; each handler runs in the transaction that removes it."""
        now = now or utc_now()
        due = self.db.all(
            "SELECT id, kind, refId FROM deadlines WHERE dueAt <= ? ORDER BY dueAt", (iso(now),)
        )
        for row in due:
            handler = self.handlers.get(row["kind"])
            try:
                with self.db.transaction():
                    if self.db.execute("DELETE FROM deadlines WHERE id = ?", (row["id"],)) and (
                        handler is not None
                    ):
                        handler(row["refId"])
            except Exception:
                # The rollback kept the deadline; try again later rather than in a hot loop.
                log.exception("deadline %s %s failed; retrying", row["kind"], row["refId"])
                retry = iso(utc_now() + timedelta(seconds=RETRY_SECONDS))
                self.db.execute("UPDATE deadlines SET dueAt = ? WHERE id = ?", (retry, row["id"]))
        return len(due)

    def seconds_until_next(self) -> float:
        nxt = self.db.scalar("SELECT MIN(dueAt) FROM deadlines")
        if nxt is None:
            return MAX_SLEEP_SECONDS
        delta = (parse_iso(nxt) - utc_now()).total_seconds()
        return max(0.0, min(delta, MAX_SLEEP_SECONDS))

    async def run_forever(self) -> None:
        while True:
            self.run_due()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.seconds_until_next()):
                    await self._wake.wait()
