"""The chat's own refusals (beside ``backend.errors``)."""

from __future__ import annotations

from backend.errors import RateLimited


class TimedOut(RateLimited):
    """403 with ``Retry-After``: this user may write again in ``retry_after`` seconds."""

    status = 403
    code = "timed_out"


def minutes_seconds(seconds: float) -> str:
    """``272`` → ``4:32`` (a time out's remaining time as people read it)."""
    whole = max(1, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"
