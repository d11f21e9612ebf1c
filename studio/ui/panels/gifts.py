"""Gifts dock: what the current live has earned in gifts (coins and count, battle gifts
included) and its top gifters, refreshed from the backend whenever a gift to me arrives.

The live begins when the broadcast goes live; after it ends the dock keeps showing that live's
numbers until the next one. Every name is shown as plain text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QListWidgetItem, QVBoxLayout, QWidget

from studio.core.broadcast import Broadcast
from studio.core.events import ServerEvent
from studio.core.gift_income import LiveIncome
from studio.ui.panels.common import ServerPanel
from studio.ui.parts import PanelParts
from studio.ui.user_text import PlainLabel, plain_tip
from studio.ui.widgets import Card, PlaceholderList, dim, section
from wire.gifts import GiftIncome
from wire.users import Account

REFRESH_DELAY_MS = 300  # a gift storm costs one fetch a moment, not one per gift
RANKS = ("🥇", "🥈", "🥉")


def live_start() -> datetime:
    """Now, to the millisecond the backend stores times with."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class GiftsPanel(ServerPanel):
    loading_text = "Loading this live's gifts"

    def __init__(self, parts: PanelParts, *, broadcast: Broadcast) -> None:
        super().__init__(parts, "Sign in to see the gifts your lives earn.")
        self.state: LiveIncome | None = None
        self.page = QWidget()
        self.heading = section("This live")
        self.total = PlainLabel("0 coins")
        self.total.setObjectName("hero")
        self.detail = dim("Go live to count this live's gifts.")
        self.gifters = PlaceholderList("No gifts yet on this live.")
        card = Card()
        card.body.addWidget(self.heading)
        card.body.addWidget(self.total)
        card.body.addWidget(self.detail)
        column = QVBoxLayout(self.page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(card)
        column.addWidget(section("Top gifters"))
        column.addWidget(self.gifters, 1)
        self.add_pages(self.page)
        self.refetch = QTimer(self)
        self.refetch.setSingleShot(True)
        self.refetch.setInterval(REFRESH_DELAY_MS)
        self.refetch.timeout.connect(self.reload)
        broadcast.live_changed.add(self.live_changed)
        self.broadcast = broadcast

    # ---- what happens ---------------------------------------------------------------
    def signed_in(self, user: Account | None) -> None:
        self.state = LiveIncome(user.id) if user is not None else None
        if self.state is not None and self.broadcast.live:
            self.state.went_live(live_start())
        self.refresh()
        self.reload()

    def live_changed(self, live: bool) -> None:
        if self.state is None:
            return
        if live:
            self.state.went_live(live_start())
            self.reload()
        else:
            self.state.ended()
        self.refresh()

    def event_received(self, event: ServerEvent) -> None:
        if self.state is not None and self.state.concerns(event):
            self.refetch.start()

    async def _fetch(self) -> None:
        state = self.state
        if state is None or state.since is None:
            return
        income = await self.account.api.gift_income(state.since)
        if self.state is state and state.load(income):
            self.refresh()

    # ---- rendering ------------------------------------------------------------------
    def refresh(self) -> None:
        state = self.state
        if state is None:
            self.show_page(self.signed_out)
            return
        self.show_page(self.page)
        income = state.income
        self.heading.setText("THIS LIVE" if state.live or state.since is None else "LAST LIVE")
        self.total.setText(f"{income.coins:,} coins" if income else "0 coins")
        if state.since is None:
            self.detail.setText("Go live to count this live's gifts.")
        else:
            started = state.since.astimezone().strftime("%H:%M")
            gifts = income.gifts if income else 0
            self.detail.setText(f"{gifts:,} gift{'s' if gifts != 1 else ''} since {started}")
        self._show_gifters(income)

    def _show_gifters(self, income: GiftIncome | None) -> None:
        self.gifters.clear()
        for rank, gifter in enumerate(income.top_gifters if income else []):
            mark = RANKS[rank] if rank < len(RANKS) else f"{rank + 1}."
            item = QListWidgetItem(f"{mark}  {gifter.label}   {gifter.coins:,} coins")
            item.setToolTip(plain_tip(f"@{gifter.username}"))
            self.gifters.addItem(item)
