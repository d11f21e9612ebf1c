"""The gift income of the current live: since when the streamer is live, what the backend
says came in since then (``GET /api/gifts/income``), and which events should refresh it."""

from __future__ import annotations

from datetime import datetime

from studio.core.events import ServerEvent
from studio.core.gifts import gift_in
from wire.gifts import GiftIncome


class LiveIncome:
    """One signed-in streamer's income: ``since`` is when the current (or last) live began,
    ``income`` the backend's latest answer for it (None before the first)."""

    def __init__(self, me: str) -> None:
        self.me = me
        self.since: datetime | None = None
        self.income: GiftIncome | None = None
        self.live = False

    def went_live(self, at: datetime) -> None:
        self.since, self.income, self.live = at, None, True

    def ended(self) -> None:
        self.live = False  # the last live's numbers stay on show

    def load(self, income: GiftIncome) -> bool:
        """Keep ``income`` if it is for the live shown now (an answer for an earlier one that
        arrives late is dropped)."""
        if income.since != self.since:
            return False
        self.income = income
        return True

    def concerns(self, event: ServerEvent) -> bool:
        """Whether ``event`` is a gift to me during the live (battle gifts count too)."""
        gift = gift_in(event)
        return self.live and gift is not None and gift.to_user == self.me
