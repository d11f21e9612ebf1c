"""What the server-driven panels (PK, co-host, shopping) share: finding users, following a
room, and the panel frame (a page per state, a signed-out page, a clock for countdowns)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection
from functools import lru_cache

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QLineEdit,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.api_client import ApiError
from studio.core.events import ServerEvent
from studio.core.session import Session
from studio.ui import theme
from studio.ui.parts import PanelParts
from studio.ui.tasks import Tasks
from studio.ui.user_text import plain_tip
from studio.ui.widgets import PlaceholderList, dim
from wire.users import Account, FoundUser

SEARCH_DELAY_MS = 250
CLOCK_MS = 250
DOT = 12  # px, the live / online mark before a search result


@lru_cache(maxsize=8)
def status_dot(colour: str) -> QIcon:
    """A small filled circle in ``colour`` (a list item's live / online / offline mark)."""
    pixmap = QPixmap(DOT, DOT)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(2, 2, DOT - 4, DOT - 4)
    painter.end()
    return QIcon(pixmap)


def presence_text(live: bool | None, online: bool | None = None) -> tuple[str, str]:
    """How someone's state reads on a card or in a list ("Live", "Online", "Offline" or, when
    only live is known, "Not live"), and its colour; ("", ...) when nothing is known."""
    if live:
        return "Live", theme.ACCENT
    if online:
        return "Online", theme.SUCCESS
    if online is False:
        return "Offline", theme.TEXT_DIM
    return ("Not live" if live is False else ""), theme.TEXT_DIM


class UserSearch(QWidget):
    """A search box with the matching people below it (searched as one types, debounced), each
    with whether they are live or online: live streamers first, as the backend orders them."""

    chosen = Signal(object)  # FoundUser, on double-click
    selection_changed = Signal()

    def __init__(
        self,
        account: Session,
        tasks: Tasks,
        placeholder: str,
        min_height: int = 160,
        exclude: Callable[[], Collection[str]] = frozenset,
    ) -> None:
        super().__init__()
        self.account = account
        self.tasks = tasks
        self.exclude = exclude  # ids not to offer (the hosts already in a session)
        self.search = QLineEdit()
        self.search.setPlaceholderText(placeholder)
        self.search.setClearButtonEnabled(True)
        self.results = PlaceholderList("Type a name to find streamers.")
        self.results.setIconSize(QSize(20, 20))
        self.results.setMinimumHeight(min_height)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._timer.start)
        self.results.currentItemChanged.connect(lambda *_: self.selection_changed.emit())
        self.results.itemDoubleClicked.connect(self._double_clicked)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.search)
        column.addWidget(self.results, 1)

    @property
    def user(self) -> FoundUser | None:
        """The selected streamer, if any."""
        item = self.results.currentItem()
        found = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return found if isinstance(found, FoundUser) else None

    def run_search(self) -> None:
        if self.account.signed_in:
            self.tasks.spawn(self._search(self.search.text().strip()), "Search")

    async def _search(self, query: str) -> None:
        users = await self.account.api.search_users(query)
        if query != self.search.text().strip():
            return  # a newer search is on its way
        self.results.clear()
        left_out = self.exclude()
        for user in users:
            if user.id not in left_out:
                self.results.addItem(self._item(user))
        self.results.set_placeholder("No streamers match." if query else "No streamers yet.")

    @staticmethod
    def _item(user: FoundUser) -> QListWidgetItem:
        state, colour = presence_text(user.live, user.online)
        item = QListWidgetItem(
            f"{user.label}   @{user.username}" + (f"   {state}" if state else "")
        )
        item.setToolTip(plain_tip(f"{user.label} @{user.username}"))
        item.setData(Qt.ItemDataRole.UserRole, user)
        item.setIcon(status_dot(colour if state else theme.TEXT_DIM))
        if not user.live and user.online is False:
            item.setForeground(QColor(theme.TEXT_DIM))  # offline: there, but not first choice
        return item

    def _double_clicked(self) -> None:
        if self.user is not None:
            self.chosen.emit(self.user)


class RoomFollower:
    """Keeps the event link in one room of a kind (the battle or session being shown)."""

    def __init__(self, account: Session, room_for: Callable[[str], str]) -> None:
        self.account = account
        self.room_for = room_for
        self.joined = ""  # the id whose room we are in

    def reset(self) -> None:
        self.joined = ""

    async def follow(self, wanted: str) -> None:
        """Be in the room of ``wanted`` ("" leaves the current one)."""
        events = self.account.events
        if events is None or wanted == self.joined:
            return
        if self.joined:
            await events.leave(self.room_for(self.joined))
        self.joined = wanted
        if wanted:
            with contextlib.suppress(ApiError):
                await events.join(self.room_for(wanted))


class ServerPanel(QWidget):
    """A dock panel that renders server state: one page per phase, and a countdown clock.

    It is given the :class:`PanelParts`; subclasses take what else they need (the broadcast,
    the settings, the stage area).

        Subclasses implement ``signed_in(user)``, ``event(event)``, ``_fetch()`` and ``tick()``,
        and keep their signed-in state in ``self.state`` (None when signed out).
    """

    loading_text = "Loading"

    def __init__(self, parts: PanelParts, signed_out_text: str) -> None:
        super().__init__()
        self.account = parts.account  # the signed-in session: its API client and event link
        self.tasks = parts.tasks
        self.toasts = parts.toasts
        self.pages = QStackedWidget()
        self.signed_out = dim(signed_out_text)
        self.signed_out.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages.addWidget(self.signed_out)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.addWidget(self.pages)
        self.setMinimumWidth(320)
        self.clock = QTimer(self)
        self.clock.setInterval(CLOCK_MS)
        self.clock.timeout.connect(self.tick)
        parts.signals.signed_in.connect(self.signed_in)
        parts.signals.server_event.connect(self.event_received)
        parts.signals.resynced.connect(self.reload)

    def add_pages(self, *pages: QWidget) -> None:
        for page in pages:
            self.pages.addWidget(page)

    def show_page(self, page: QWidget, ticking: bool = False) -> None:
        self.pages.setCurrentWidget(page)
        if ticking:
            self.tick()
            self.clock.start()
        else:
            self.clock.stop()

    def signed_in(self, user: Account | None) -> None:
        raise NotImplementedError

    def event_received(self, event: ServerEvent) -> None:
        raise NotImplementedError

    def reload(self) -> None:
        """Fetch the server's state again (after signing in or a reconnect)."""
        if getattr(self, "state", None) is not None:
            self.tasks.spawn(self._fetch(), self.loading_text)

    async def _fetch(self) -> None:
        raise NotImplementedError

    def tick(self) -> None:
        """Called four times a second while the page shows a countdown."""
