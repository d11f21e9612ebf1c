"""Chat dock: the stream's live chat with moderation on each message, the room's rules, the
queue of reports and held messages, and the log of moderation actions.

The dock folds REST snapshots and ``chat:*`` events into :class:`studio.core.chat.ChatState`
and sends commands through :class:`studio.core.chat.ChatClient`. It opens the signed-in
streamer's own chat; a moderator of another stream opens that one by name. While the dock shows
the streamer's own chat it feeds the on-stream chat overlay (the ``overlay.chat`` effect, drawn
when it is switched on in Effects). Every name and message is shown as plain text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from filters.video.chat_overlay import ChatOverlay
from studio.core.api_client import ApiError
from studio.core.chat import ChatClient, ChatState, Restriction, author_name, user_name
from studio.core.effects_chain import EffectsChain
from studio.core.events import ServerEvent
from studio.ui import theme
from studio.ui.confirm import confirm
from studio.ui.panels.common import ServerPanel
from studio.ui.parts import PanelParts
from studio.ui.user_text import PlainLabel, plain_tip
from studio.ui.widgets import Card, PlaceholderList, SpinBox, dim, role_button, section
from wire.chat import (
    MAX_MESSAGE_GRAPHEMES,
    TIMEOUT_MINUTES,
    BlockedWordAction,
    ChatMessage,
    ChatModerators,
    ChatReport,
    HeldMessage,
    ModerationAction,
)
from wire.events import chat_mod_room
from wire.users import Account

OVERLAY_ID = ChatOverlay.id
ROLE_MARKS = {"host": "★ ", "moderator": "⚑ "}  # before a name: the streamer, a moderator
ACTION_WORDS = {  # the backend's action names as a sentence: "<actor> <words> <target>"
    "delete": "deleted a message of",
    "pin": "pinned a message of",
    "unpin": "unpinned the pinned message",
    "timeout": "timed out",
    "untimeout": "lifted the time out of",
    "ban": "banned",
    "unban": "lifted the ban of",
    "clear": "cleared the chat",
    "settings": "changed the chat settings",
    "blocked-words": "changed the blocked words",
    "moderator-added": "made a moderator:",
    "moderator-removed": "removed a moderator:",
    "held-approved": "let a held message through from",
    "held-rejected": "rejected a held message from",
    "report-dismissed": "dismissed a report about",
    "report-removed": "removed a reported message of",
}
Item = QListWidgetItem


def message_line(message: ChatMessage) -> str:
    """A message as one line of the list: "★ Alice: hello" (a system line is its text)."""
    if message.kind == "system" or message.author is None:
        return message.text
    mark = ROLE_MARKS.get(message.author.role, "")
    return f"{mark}{author_name(message)}: {message.text}"


def action_line(action: ModerationAction) -> str:
    """A line of the moderation log: "12:03  alice banned Mallory (spam)"."""
    when = action.created_at.astimezone().strftime("%H:%M")
    words = ACTION_WORDS.get(action.action, action.action)
    target = f" {user_name(action.target_user)}" if action.target_user is not None else ""
    detail = f" ({action.detail})" if action.detail else ""
    return f"{when}  {user_name(action.actor)} {words}{target}{detail}"


def rules_line(state: ChatState) -> str:
    """What holds in the room now, in a few words."""
    settings, viewer = state.settings, state.viewer
    if viewer is not None and not viewer.can_write and viewer.reason:
        return viewer.reason
    if settings is None:
        return ""
    parts = []
    if settings.slow_mode_seconds:
        parts.append(f"Slow mode: one message per {settings.slow_mode_seconds} s")
    if settings.members_only:
        age = settings.min_account_age_minutes
        parts.append("Followers only" + (f" (accounts older than {age} min)" if age else ""))
    if not settings.links_allowed:
        parts.append("Links from viewers blocked")
    return " · ".join(parts) or "Everyone signed in may write"


class WrappingList(PlaceholderList):
    """A list whose long lines wrap onto as many lines as they need. Qt sizes a wrapped item
    without the theme's item padding and then cuts its last line with "…"; here each item is
    given the height its text needs at the list's width, again whenever the width changes."""

    PADDING = (2 * 8 + 4, 2 * 6 + 2)  # the theme's item padding (and border), sideways, up-down

    def __init__(self, placeholder: str) -> None:
        super().__init__(placeholder)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setResizeMode(QListView.ResizeMode.Adjust)

    def add_line(self, item: QListWidgetItem) -> None:
        self.addItem(item)
        self._fit(item)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        for row in range(self.count()):
            self._fit(self.item(row))

    def _fit(self, item: QListWidgetItem) -> None:
        width = self.viewport().width() - self.PADDING[0]
        flags = int(Qt.TextFlag.TextWordWrap)
        text = self.fontMetrics().boundingRect(
            QRect(0, 0, max(40, width), 10_000), flags, item.text()
        )
        item.setSizeHint(QSize(self.viewport().width(), text.height() + self.PADDING[1]))


class ChatPage(QWidget):
    """The live chat: the pinned message, the messages, actions on the selected one, the input."""

    def __init__(self, panel: ChatPanel) -> None:
        super().__init__()
        self.panel = panel
        self.pinned_card = Card()
        self.pinned = PlainLabel()
        self.pinned.setWordWrap(True)
        self.unpin = role_button("Unpin", "")
        self.unpin.clicked.connect(panel.unpin)
        pinned_row = QHBoxLayout()
        pinned_row.addWidget(self.pinned, 1)
        pinned_row.addWidget(self.unpin)
        self.pinned_card.body.addLayout(pinned_row)
        self.messages = WrappingList("No messages yet. They appear here as viewers write.")
        self.messages.currentItemChanged.connect(lambda *_: self.panel.show_actions())
        self.older = QPushButton("Load older messages")
        self.older.clicked.connect(panel.load_older)
        self.delete = role_button("Delete", "danger")
        self.pin = QPushButton("Pin")
        self.time_out = QPushButton("Time out")
        self.time_out.setMenu(self._time_out_menu())
        self.ban = role_button("Ban", "danger")
        self.moderator = QPushButton("Make moderator")
        self.moderator.setMinimumWidth(
            self.moderator.fontMetrics().horizontalAdvance("Remove moderator") + 24
        )
        self.delete.clicked.connect(lambda: panel.on_selected(panel.delete))
        self.pin.clicked.connect(lambda: panel.on_selected(panel.pin))
        self.ban.clicked.connect(lambda: panel.on_selected(panel.ban))
        self.moderator.clicked.connect(lambda: panel.on_selected(panel.toggle_moderator))
        self.input = QLineEdit()
        self.input.setPlaceholderText("Say something to your viewers…")
        self.input.setMaxLength(MAX_MESSAGE_GRAPHEMES)
        self.input.returnPressed.connect(self._send)
        self.send = role_button("Send", "primary")
        self.send.clicked.connect(self._send)
        self.clear = role_button("Clear chat", "danger")
        self.clear.clicked.connect(panel.clear)

        actions = QGridLayout()  # two rows: all five fit the dock's 320 px
        actions.setSpacing(6)
        for index, button in enumerate(self.action_buttons):
            button.setStyleSheet("padding: 4px 8px;")
            actions.addWidget(button, index // 3, index % 3)
        writing = QHBoxLayout()
        writing.addWidget(self.input, 1)
        writing.addWidget(self.send)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pinned_card)
        layout.addWidget(self.older)
        layout.addWidget(self.messages, 1)
        layout.addLayout(actions)
        layout.addLayout(writing)
        layout.addWidget(self.clear)

    @property
    def action_buttons(self) -> tuple[QPushButton, ...]:
        return (self.delete, self.pin, self.time_out, self.ban, self.moderator)

    def _time_out_menu(self) -> QMenu:
        menu = QMenu(self)
        for minutes in TIMEOUT_MINUTES:
            menu.addAction(f"{minutes} min", partial(self._time_out, minutes))
        return menu

    def _time_out(self, minutes: int) -> None:
        message = self.selected
        if message is not None:
            self.panel.time_out(message, minutes)

    def _send(self) -> None:
        text = self.input.text().strip()
        if text:
            self.panel.send(text)

    @property
    def selected(self) -> ChatMessage | None:
        item = self.messages.currentItem()
        found = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return found if isinstance(found, ChatMessage) else None

    def show_messages(self, state: ChatState) -> None:
        bar = self.messages.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        chosen = self.selected
        self.messages.clear()
        for message in state.messages.values():
            item = Item(message_line(message))
            item.setData(Qt.ItemDataRole.UserRole, message)
            when = message.created_at.astimezone().strftime("%H:%M:%S")
            role = message.author.role if message.author is not None else "system"
            item.setToolTip(plain_tip(f"{when} · {role}" + (" · masked" if message.masked else "")))
            if message.kind == "system":
                item.setForeground(QColor(theme.WARNING))
            elif message.author is not None and message.author.role in ROLE_MARKS:
                item.setForeground(QColor(theme.ACCENT_2))
            self.messages.add_line(item)
            if chosen is not None and message.id == chosen.id:
                self.messages.setCurrentItem(item)
        if at_bottom:
            self.messages.scrollToBottom()  # a person reading older lines is not yanked down
        self.older.setVisible(state.older is not None)
        pinned = state.pinned
        self.pinned_card.setVisible(pinned is not None)
        if pinned is not None:
            self.pinned.setText(f"📌 {message_line(pinned)}")
        self.unpin.setVisible(state.moderates)
        viewer = state.viewer
        writable = viewer is not None and viewer.can_write
        self.input.setEnabled(writable)
        self.send.setEnabled(writable)
        self.input.setPlaceholderText(
            "Say something to your viewers…"
            if writable
            else (viewer.reason or "")
            if viewer
            else ""
        )
        self.clear.setVisible(state.moderates)
        for button in self.action_buttons:
            button.setVisible(state.moderates)
        self.panel.show_actions()

    def show_actions(self, state: ChatState) -> None:
        """Which actions the selected message allows (a system line: delete and pin only)."""
        message = self.selected
        author = message.author if message is not None else None
        other = author is not None and author.id != state.me and author.role != "host"
        self.delete.setEnabled(message is not None)
        self.pin.setEnabled(message is not None)
        self.time_out.setEnabled(other)
        self.ban.setEnabled(other)
        self.moderator.setEnabled(state.is_host and other)
        made = author is not None and state.is_moderator(author.id)
        self.moderator.setText("Remove moderator" if made else "Make moderator")


class QueuePage(QWidget):
    """Reports from viewers and messages held for a blocked word, each with its decision; who
    is banned or timed out, with the ban or time out to lift."""

    def __init__(self, panel: ChatPanel) -> None:
        super().__init__()
        self.panel = panel
        self.reports = PlaceholderList("No reports. Messages viewers report appear here.")
        self.reports.setWordWrap(True)
        self.remove = role_button("Remove message", "danger")
        self.dismiss = QPushButton("Dismiss report")
        self.remove.clicked.connect(lambda: self._report(panel, True))
        self.dismiss.clicked.connect(lambda: self._report(panel, False))
        self.held = PlaceholderList("Nothing held. Messages with a blocked word wait here.")
        self.held.setWordWrap(True)
        self.approve = role_button("Let it through", "primary")
        self.reject = role_button("Reject", "danger")
        self.approve.clicked.connect(lambda: self._held(panel, True))
        self.reject.clicked.connect(lambda: self._held(panel, False))
        report_buttons = QHBoxLayout()
        report_buttons.addWidget(self.dismiss)
        report_buttons.addWidget(self.remove, 1)
        held_buttons = QHBoxLayout()
        held_buttons.addWidget(self.reject)
        held_buttons.addWidget(self.approve, 1)
        self.restricted = WrappingList("Nobody is banned or timed out.")
        self.restricted.currentItemChanged.connect(lambda *_: self._show_lift())
        self.lift = QPushButton("Unban")
        self.lift.clicked.connect(self._lift)
        self.countdown = QTimer(self)  # the time left on time outs, and when they end
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self._tick)
        layout = QVBoxLayout(self)
        layout.addWidget(section("Reports"))
        layout.addWidget(self.reports, 1)
        layout.addLayout(report_buttons)
        layout.addWidget(section("Held for review"))
        layout.addWidget(self.held, 1)
        layout.addLayout(held_buttons)
        layout.addWidget(section("Banned and timed out"))
        layout.addWidget(self.restricted, 1)
        layout.addWidget(self.lift)

    def show_queue(self, state: ChatState) -> None:
        self.reports.clear()
        for report in state.reports.values():
            reason = f" ({report.reason})" if report.reason else ""
            item = Item(
                f"{user_name(report.reporter)} reported{reason}: {message_line(report.message)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, report)
            self.reports.addItem(item)
        self.held.clear()
        for held in state.held.values():
            item = Item(f"{message_line(held.message)}   [{', '.join(held.matched)}]")
            item.setData(Qt.ItemDataRole.UserRole, held)
            self.held.addItem(item)
        for button in (self.remove, self.dismiss):
            button.setEnabled(bool(state.reports))
        for button in (self.approve, self.reject):
            button.setEnabled(bool(state.held))
        self.show_restrictions(state)

    def show_restrictions(self, state: ChatState) -> None:
        chosen = self.selected_restriction
        self.restricted.clear()
        now = datetime.now(UTC)
        running = state.restrictions(now)
        for restriction in running:
            item = Item(restriction.describe(now))
            item.setData(Qt.ItemDataRole.UserRole, restriction)
            self.restricted.add_line(item)
            if chosen is not None and restriction.user.id == chosen.user.id:
                self.restricted.setCurrentItem(item)
        if any(not r.banned for r in running):
            self.countdown.start()
        else:
            self.countdown.stop()
        self._show_lift()

    @property
    def selected_restriction(self) -> Restriction | None:
        item = self.restricted.currentItem() or self.restricted.item(0)
        found = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return found if isinstance(found, Restriction) else None

    def _show_lift(self) -> None:
        restriction = self.selected_restriction
        self.lift.setEnabled(restriction is not None)
        banned = restriction is None or restriction.banned
        self.lift.setText("Unban" if banned else "Lift time out")

    def _tick(self) -> None:
        if self.panel.state is not None:
            self.show_restrictions(self.panel.state)

    def _lift(self) -> None:
        restriction = self.selected_restriction
        if restriction is not None:
            self.panel.lift(restriction)

    def _report(self, panel: ChatPanel, remove: bool) -> None:
        item = self.reports.currentItem() or self.reports.item(0)
        report = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(report, ChatReport):
            panel.resolve_report(report, remove)

    def _held(self, panel: ChatPanel, approve: bool) -> None:
        item = self.held.currentItem() or self.held.item(0)
        held = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(held, HeldMessage):
            panel.decide_held(held, approve)


class SettingsPage(QWidget):
    """Slow mode, followers-only, links, blocked words; the stream's moderators."""

    def __init__(self, panel: ChatPanel) -> None:
        super().__init__()
        self.slow = SpinBox(0, 600, 0, " s")
        self.slow.setSpecialValueText("Off")
        self.members_only = QCheckBox("Followers only")
        self.members_only.setToolTip(
            "Only accounts that follow you can write; you and your moderators always can"
        )
        self.min_age = SpinBox(0, 60 * 24 * 90, 0, " min")
        self.min_age.setSpecialValueText("Any age")
        self.links = QCheckBox("Viewers may post links")
        self.min_age.setToolTip("Followers only: how old a follower's account must be to write")
        self.words = QPlainTextEdit()
        self.words.setPlaceholderText("One word per line; * stands for any letters (spam*)")
        self.words.setMaximumHeight(110)
        self.word_action = QComboBox()
        self.word_action.addItem("Mask it (***)", "mask")
        self.word_action.addItem("Hold for review", "hold")
        self.save = role_button("Save chat settings", "primary")
        self.save.clicked.connect(lambda: panel.save_settings(self))
        self.moderators = PlaceholderList("No moderators yet: pick a message and 'Make moderator'.")
        self.moderators.setMaximumHeight(110)
        self.dismiss = QPushButton("Remove moderator")
        self.dismiss.clicked.connect(self._dismiss)
        self.panel = panel
        form = QFormLayout()
        form.addRow("Slow mode", self.slow)
        form.addRow("Account age", self.min_age)
        form.addRow("A blocked word", self.word_action)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.members_only)
        layout.addWidget(self.links)
        layout.addWidget(section("Blocked words"))
        layout.addWidget(self.words)
        layout.addWidget(self.save)
        layout.addWidget(section("Moderators"))
        layout.addWidget(self.moderators)
        layout.addWidget(self.dismiss)
        layout.addStretch()

    def show_settings(self, state: ChatState) -> None:
        settings = state.settings
        if settings is not None:
            self.slow.setValue(settings.slow_mode_seconds)
            self.members_only.setChecked(settings.members_only)
            self.min_age.setValue(settings.min_account_age_minutes)
            self.links.setChecked(settings.links_allowed)
        if state.blocked is not None:
            self.words.setPlainText("\n".join(state.blocked.words))
            self.word_action.setCurrentIndex(self.word_action.findData(state.blocked.action))
        self.show_moderators(state)

    def show_moderators(self, state: ChatState) -> None:
        self.moderators.clear()
        for user in state.moderators:
            item = Item(f"{user_name(user)}   @{user.username}")
            item.setData(Qt.ItemDataRole.UserRole, user.id)
            self.moderators.addItem(item)
        self.dismiss.setVisible(state.is_host)
        self.dismiss.setEnabled(bool(state.moderators))

    @property
    def changes(self) -> dict[str, Any]:
        return {
            "slowModeSeconds": self.slow.value(),
            "membersOnly": self.members_only.isChecked(),
            "minAccountAgeMinutes": self.min_age.value(),
            "linksAllowed": self.links.isChecked(),
        }

    @property
    def blocked_words(self) -> list[str]:
        lines = (line.strip() for line in self.words.toPlainText().splitlines())
        return [line for line in lines if line]

    def _dismiss(self) -> None:
        item = self.moderators.currentItem() or self.moderators.item(0)
        if item is not None:
            self.panel.dismiss_moderator(str(item.data(Qt.ItemDataRole.UserRole)))


class ChatPanel(ServerPanel):
    loading_text = "Loading the chat"

    def __init__(self, parts: PanelParts, *, chain: EffectsChain) -> None:
        super().__init__(parts, "Sign in to see and moderate your stream's chat.")
        self.chain = chain  # the broadcast's: the on-stream overlay is one of its effects
        self.state: ChatState | None = None
        self.client: ChatClient | None = None
        self.joined: tuple[str, ...] = ()
        self.stream_box = QLineEdit()
        self.stream_box.setPlaceholderText("Stream (your own, or one you moderate)")
        self.stream_box.returnPressed.connect(lambda: self.open(self.stream_box.text().strip()))
        self.rules = dim()
        self.chat_page = ChatPage(self)
        self.queue_page = QueuePage(self)
        self.settings_page = SettingsPage(self)
        self.log = WrappingList("No moderation yet. What moderators do is listed here.")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.chat_page, "Chat")
        self.tabs.addTab(self.queue_page, "Queue")
        self.tabs.addTab(self.settings_page, "Settings")
        self.tabs.addTab(self.log, "Log")
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        stream_row = QHBoxLayout()
        stream_row.addWidget(dim("Chat of"))
        stream_row.addWidget(self.stream_box, 1)
        column.addLayout(stream_row)
        column.addWidget(self.rules)
        column.addWidget(self.tabs, 1)
        self.page = page
        self.add_pages(page)
        chain.on_change(self.feed_overlay)  # the overlay switched on: fill it at once

    # ---- opening a chat -------------------------------------------------------------
    def signed_in(self, user: Account | None) -> None:
        self.state = None
        self.client = None
        self.joined = ()  # a new sign-in has a new event link, in no room yet
        self.refresh()
        if user is not None:
            self.open(user.username)

    def open(self, stream: str) -> None:
        user = self.account.user
        if user is None or not stream:
            return
        self.client = ChatClient(self.account.api, stream)
        self.state = ChatState(stream, user.id)
        self.stream_box.setText(stream)
        self.reload()

    async def _fetch(self) -> None:
        state, client = self.state, self.client
        if state is None or client is None:
            return
        # In a room before reading the history, so a message sent meanwhile is not missed: the
        # streamer's own chat from its moderators' room (the studio is not one of the viewers).
        own = self.account.user is not None and state.stream == self.account.user.username
        await self._follow((chat_mod_room(state.stream),) if own else state.rooms)
        await state.read_history(client.history())
        await self._follow(state.rooms)
        if state.moderates:
            await state.read_moderation(
                asyncio.gather(
                    client.moderators(),
                    client.blocked_words(),
                    client.reports(),
                    client.held(),
                    client.actions(),
                    client.restrictions(),
                )
            )
        if state is self.state:
            self.refresh()
            self.settings_page.show_settings(state)

    async def _follow(self, wanted: tuple[str, ...]) -> None:
        """In ``wanted`` rooms (the stream's, and its moderators' when allowed), out of others."""
        events = self.account.events
        if events is None:
            return
        for room in wanted:  # joined first, then left: no gap in between
            if room not in self.joined:
                await events.join(room)
        for room in self.joined:
            if room not in wanted:
                await events.leave(room)
        self.joined = wanted

    def event_received(self, event: ServerEvent) -> None:
        state = self.state
        if state is not None and state.apply(event):
            self.refresh()

    # ---- commands -------------------------------------------------------------------
    def _run(self, call: Callable[[ChatClient], Coroutine[Any, Any, object]], what: str) -> None:
        """Send a command; the events it causes update every client, this one included."""
        client = self.client
        if client is not None:
            self.tasks.spawn(call(client), what)

    def on_selected(self, action: Callable[[ChatMessage], None]) -> None:
        message = self.chat_page.selected
        if message is not None:
            action(message)

    def send(self, text: str) -> None:
        self.tasks.spawn(self._send(text), "Sending")

    async def _send(self, text: str) -> None:
        client = self.client
        if client is None:
            return
        try:
            sent = await client.send(text)
        except ApiError as exc:
            if exc.status in (403, 422, 429):  # timed out, too long, slow mode: say so
                self.toasts.show_toast("Not sent", exc.message, kind="warning")
                return
            raise
        self.chat_page.input.clear()
        if sent.held:
            self.toasts.show_toast("Held for review", "It matched a blocked word.")

    def delete(self, message: ChatMessage) -> None:
        self._run(lambda c: c.delete(message.id), "Deleting the message")

    def pin(self, message: ChatMessage) -> None:
        self._run(lambda c: c.pin(message.id), "Pinning the message")

    def unpin(self) -> None:
        self._run(lambda c: c.unpin(), "Unpinning")

    def time_out(self, message: ChatMessage, minutes: int) -> None:
        if message.author is not None:
            user_id = message.author.id
            self._run(lambda c: c.time_out(user_id, minutes), "Timing out")

    def ban(self, message: ChatMessage) -> None:
        author = message.author
        if author is not None and confirm(
            self,
            f"Ban {author_name(message)} from the chat?",
            "They can still watch, but can no longer write here, with this account or a new "
            "sign-in.",
            "Ban",
            "Keep them",
        ):
            self._run(lambda c: c.ban(author.id), "Banning")

    def lift(self, restriction: Restriction) -> None:
        """Unban, or end a time out early."""
        user_id = restriction.user.id
        if restriction.banned:
            self._run(lambda c: c.unban(user_id), "Lifting the ban")
        else:
            self._run(lambda c: c.lift_time_out(user_id), "Lifting the time out")

    def toggle_moderator(self, message: ChatMessage) -> None:
        state, author = self.state, message.author
        if state is None or author is None:
            return
        if state.is_moderator(author.id):
            self.dismiss_moderator(author.id)
        else:
            self._change_moderators(lambda c: c.appoint(author.id), "Making a moderator")

    def dismiss_moderator(self, user_id: str) -> None:
        self._change_moderators(lambda c: c.dismiss(user_id), "Removing the moderator")

    def _change_moderators(
        self, call: Callable[[ChatClient], Awaitable[ChatModerators]], what: str
    ) -> None:
        """Like :meth:`_run`, and the answer (the new list) is shown at once: the event that
        follows may come later, or not at all to a connection between rooms."""
        client = self.client
        if client is not None:
            self.tasks.spawn(self._show_moderators(call(client)), what)

    async def _show_moderators(self, answer: Awaitable[ChatModerators]) -> None:
        moderators = await answer
        if self.state is not None:
            self.state.set_moderators(moderators)
            self.refresh()

    def clear(self) -> None:
        if confirm(
            self,
            "Clear the chat?",
            "Every message disappears for everyone watching. The moderation log keeps a line.",
            "Clear chat",
            "Keep messages",
        ):
            self._run(lambda c: c.clear(), "Clearing the chat")

    def load_older(self) -> None:
        self.tasks.spawn(self._older(), "Loading older messages")

    async def _older(self) -> None:
        state, client = self.state, self.client
        if state is not None and client is not None and state.older is not None:
            state.load_older(await client.history(before=state.older))
            self.refresh()

    def resolve_report(self, report: ChatReport, remove: bool) -> None:
        self._run(lambda c: c.resolve_report(report.id, remove), "Resolving the report")

    def decide_held(self, held: HeldMessage, approve: bool) -> None:
        self._run(lambda c: c.decide_held(held.message.id, approve), "Deciding")

    def save_settings(self, page: SettingsPage) -> None:
        changes, words = page.changes, page.blocked_words
        action: BlockedWordAction = "hold" if page.word_action.currentData() == "hold" else "mask"

        async def save(client: ChatClient) -> None:
            await client.update_settings(**changes)
            blocked = await client.set_blocked_words(words, action)
            if self.state is not None:
                self.state.blocked = blocked
            self.toasts.show_toast("Chat settings saved", kind="success", ms=2000)

        self._run(save, "Saving the chat settings")

    # ---- rendering ------------------------------------------------------------------
    def refresh(self) -> None:
        state = self.state
        if state is None:
            self.show_page(self.signed_out)
            self.feed_overlay()
            return
        self.rules.setText(rules_line(state))
        self.chat_page.show_messages(state)
        self.queue_page.show_queue(state)
        self.settings_page.show_moderators(state)
        queued = len(state.reports) + len(state.held)
        self.tabs.setTabText(1, f"Queue ({queued})" if queued else "Queue")
        for index in (1, 2, 3):
            self.tabs.setTabVisible(index, state.moderates)
        self.log.clear()
        for action in state.log:
            self.log.add_line(QListWidgetItem(action_line(action)))
        self.show_page(self.page)
        self.feed_overlay()

    def show_actions(self) -> None:
        if self.state is not None:
            self.chat_page.show_actions(self.state)

    def feed_overlay(self) -> None:
        """The on-stream overlay shows the streamer's own chat (never another stream's)."""
        chain = self.chain
        if not chain.is_enabled(OVERLAY_ID):
            return
        overlay = chain.effect(OVERLAY_ID)
        state, user = self.state, self.account.user
        own = state is not None and user is not None and state.stream == user.username
        if isinstance(overlay, ChatOverlay):
            overlay.set_lines(state.overlay_lines() if own and state is not None else [])
