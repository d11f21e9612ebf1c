"""The deadline scheduler: due deadlines run once, in order; a failing one is retried later."""

from __future__ import annotations

from datetime import timedelta

from backend.services.scheduler import RETRY_SECONDS, Scheduler
from backend.storage.db import Database, parse_iso, utc_now


def test_due_deadlines_run_once_and_a_failing_one_is_pushed_back(database: Database) -> None:
    db = database
    scheduler = Scheduler(db)
    ran: list[str] = []
    attempts = {"flaky": 0}

    def flaky(ref: str) -> None:
        attempts["flaky"] += 1
        raise RuntimeError("not yet")

    scheduler.on("ok", ran.append)
    scheduler.on("flaky", flaky)
    now = utc_now()
    scheduler.schedule("ok", "b", now - timedelta(seconds=1))
    scheduler.schedule("ok", "a", now - timedelta(seconds=2))
    scheduler.schedule("ok", "later", now + timedelta(hours=1))
    scheduler.schedule("flaky", "x", now - timedelta(seconds=1))

    assert scheduler.run_due(now) == 3
    assert ran == ["a", "b"]
    assert scheduler.run_due(now) == 0  # nothing runs twice, the failure is not retried at once
    assert attempts["flaky"] == 1
    due = db.scalar("SELECT dueAt FROM deadlines WHERE kind = 'flaky'")
    assert parse_iso(due) >= now + timedelta(seconds=RETRY_SECONDS - 1)
    assert scheduler.run_due(now + timedelta(seconds=RETRY_SECONDS + 1)) == 1
    assert attempts["flaky"] == 2
