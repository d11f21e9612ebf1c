"""Co-host panel: start a session, invite and approve hosts, their mics and cameras, the layout.

The panel folds REST snapshots and ``multihost:*`` events into
:class:`studio.core.state.CohostState`. While the user hosts an open session the preview area
shows the :class:`~studio.ui.stage.CohostStage`: every host's tile in the shared layout, their
video arriving over the session's call, which the broadcast engine holds
(:class:`studio.core.cohost.CohostCall`: a mesh, or the SFU for more than four hosts),
signalled through the event link's ``webrtc:*`` events.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from functools import partial
from typing import Any, TypeVar, get_args

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.broadcast import Broadcast
from studio.core.events import ServerEvent
from studio.core.state import CohostState, layout_key
from studio.ui import theme
from studio.ui.panels.common import RoomFollower, ServerPanel, UserSearch
from studio.ui.parts import PanelParts
from studio.ui.stage import CohostStage, TileFeeds
from studio.ui.stage_area import StageArea
from studio.ui.user_text import PlainLabel, plain_tip
from studio.ui.widgets import Avatar, Card, ElidedLabel, PlaceholderList, dim, role_button, section
from wire.events import multihost_room
from wire.multihost import (
    CohostMember,
    CohostSession,
    Invitation,
    Invited,
    JoinRequested,
    SessionType,
)
from wire.users import Account, FoundUser

SESSION_TYPES: tuple[str, ...] = get_args(SessionType)
LAYOUTS = (  # picker label, mode, grid (the value is state.layout_key)
    ("Grid 2×2", "grid", "2x2"),
    ("Grid 3×3", "grid", "3x3"),
    ("Spotlight", "spotlight", None),
    ("Sidebar", "sidebar", None),
    ("Picture-in-picture", "pip", None),
)


def layout_picker() -> QComboBox:
    box = QComboBox()
    for label, mode, grid in LAYOUTS:
        box.addItem(label, f"grid-{grid}" if grid else mode)
    return box


def picked_layout(box: QComboBox) -> tuple[str, str | None]:
    """(mode, grid) of the picker's choice."""
    key = str(box.currentData())
    mode, _, grid = key.partition("-")
    return mode, grid or None


BUTTON_STYLE = "padding: 4px 10px;"


def small_button(text: str, role: str = "", tip: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setStyleSheet(BUTTON_STYLE)
    if role:
        button.setProperty("role", role)
    button.setToolTip(plain_tip(tip))
    return button


class StartPage(QWidget):
    """No session: start one, or answer an invitation to someone else's."""

    def __init__(self, panel: CohostPanel) -> None:
        super().__init__()
        self.panel = panel
        self.title = QLineEdit()
        self.title.setPlaceholderText("Session title")
        self.title.setMaxLength(120)
        self.kind = QComboBox()
        for kind in SESSION_TYPES:
            self.kind.addItem(kind.title(), kind)
        self.layout_box = layout_picker()
        self.start_button = role_button("Start co-host session", "primary")
        self.start_button.clicked.connect(self._create)
        self.invitations = PlaceholderList("No invitations right now.")
        self.invitations.setMinimumHeight(90)
        self.accept = role_button("Join session", "primary")
        self.dismiss = QPushButton("Not now")
        self.accept.clicked.connect(lambda: self._answer(True))
        self.dismiss.clicked.connect(lambda: self._answer(False))
        self.notice = dim()

        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Type", self.kind)
        form.addRow("Layout", self.layout_box)
        answers = QHBoxLayout()
        answers.addWidget(self.dismiss)
        answers.addWidget(self.accept, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section("Go live together"))
        layout.addLayout(form)
        layout.addWidget(self.start_button)
        layout.addWidget(dim("Up to nine hosts; invite them once the session exists."))
        layout.addWidget(section("Invitations"))
        layout.addWidget(self.invitations, 1)
        layout.addLayout(answers)
        layout.addWidget(self.notice)

    def show_state(self, state: CohostState) -> None:
        self.invitations.clear()
        for invited in state.incoming.values():
            session = invited.session
            title = f"“{session.title}”" if session.title else "a session"
            item = QListWidgetItem(
                f"{session.primary_host.label or 'Someone'} invites you to {title}"
            )
            item.setData(Qt.ItemDataRole.UserRole, invited)
            self.invitations.addItem(item)
        if self.invitations.count():
            self.invitations.setCurrentRow(0)
        for button in (self.accept, self.dismiss):
            button.setEnabled(bool(state.incoming))
        self.notice.setText(state.notice)

    @property
    def invitation(self) -> Invited | None:
        item = self.invitations.currentItem()
        found = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return found if isinstance(found, Invited) else None

    def _create(self) -> None:
        mode, grid = picked_layout(self.layout_box)
        title = self.title.text().strip() or "Live together"
        self.panel.create_session(title, str(self.kind.currentData()), mode, grid)

    def _answer(self, join: bool) -> None:
        invitation = self.invitation
        if invitation is not None:
            self.panel.answer_invitation(invitation, join)


def on_air_text(state: CohostState, broadcasting: bool) -> str:
    """ "Live" when the session is, or when I am (then what viewers do not see yet)."""
    session = state.session
    assert session is not None
    if session.status == "live":
        return "● Live"
    if not broadcasting:
        return "Not live yet"
    if state.is_primary:
        return "● Live · viewers see the hosts once you go live together"
    primary = next((h.label for h in session.hosts if h.primary), "the host")
    return f"● Live · viewers see the hosts once {primary} goes live together"


class HostRow(QWidget):
    """A host: avatar, name and role, mic and camera, remove (as the user's rights allow).

    A row lives as long as its host is in the session and is updated in place by each change
    (a rebuilt row would delete the button under the pointer mid-click).
    """

    def __init__(self, panel: CohostPanel, host: CohostMember, state: CohostState) -> None:
        super().__init__()
        self.panel = panel
        self.user_id = host.user_id
        self.host = host
        self.avatar = Avatar(host.label, 32)
        self.name = ElidedLabel()
        self.name.setStyleSheet("font-weight: 700;")
        self.role = dim()
        texts = QVBoxLayout()
        texts.setSpacing(0)
        texts.addWidget(self.name)
        texts.addWidget(self.role)
        self.mic = small_button("")
        self.camera = small_button("")
        self.remove = small_button("Remove", "danger")
        self.mic.clicked.connect(
            lambda: panel.set_media(self.user_id, audio=not self.host.audio_enabled)
        )
        self.camera.clicked.connect(
            lambda: panel.set_media(self.user_id, video=not self.host.video_enabled)
        )
        self.remove.clicked.connect(lambda: panel.remove(self.user_id))
        who = QHBoxLayout()
        who.addWidget(self.avatar)
        who.addLayout(texts, 1)
        controls = QHBoxLayout()  # a line of its own: the name keeps the panel's width
        controls.addStretch()
        for button in (self.mic, self.camera, self.remove):
            controls.addWidget(button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 2, 0, 2)
        column.setSpacing(4)
        column.addLayout(who)
        column.addLayout(controls)
        self.show_host(host, state)

    def show_host(self, host: CohostMember, state: CohostState) -> None:
        self.host = host
        mine = host.user_id == state.me
        manage = state.can_manage and not mine
        self.avatar.set_name(host.label)
        self.name.setText(f"{host.label}{' (you)' if mine else ''}")
        self.role.setText(
            "Primary host" if host.primary else ("Manager" if host.can_manage else "Co-host")
        )
        self.mic.setText("Mic on" if host.audio_enabled else "Muted")
        self.camera.setText("Cam on" if host.video_enabled else "Cam off")
        # Me: toggle my own. A manager: turn another host's off (never back on).
        self.mic.setEnabled(mine or (manage and host.audio_enabled))
        self.camera.setEnabled(mine or (manage and host.video_enabled))
        self.remove.setToolTip(plain_tip(f"Remove {host.label} from the session"))
        self.remove.setVisible(
            manage and not host.primary and (state.is_primary or not host.can_manage)
        )
        for button, on in ((self.mic, host.audio_enabled), (self.camera, host.video_enabled)):
            button.setStyleSheet(BUTTON_STYLE + ("" if on else f" color: {theme.DANGER};"))


class RequestRow(QWidget):
    def __init__(self, panel: CohostPanel, request: Invitation) -> None:
        super().__init__()
        self.user_id = request.user.id
        self.approve = small_button("Approve", "primary")
        self.decline = small_button("Decline")
        self.approve.clicked.connect(partial(panel.answer_request, request.user.id, True))
        self.decline.clicked.connect(partial(panel.answer_request, request.user.id, False))
        text = request.user.label + (f" — “{request.message}”" if request.message else "")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        row.addWidget(Avatar(request.user.label, 28))
        row.addWidget(ElidedLabel(text), 1)
        row.addWidget(self.decline)
        row.addWidget(self.approve)


Row = TypeVar("Row", HostRow, RequestRow)


class SessionPage(QWidget):
    """The open session: status, layout, hosts, requests to join and invitations."""

    def __init__(self, panel: CohostPanel) -> None:
        super().__init__()
        self.panel = panel
        header = Card()
        self.title = PlainLabel()
        self.title.setObjectName("title")
        self.status = dim()
        self.start = role_button("Go live together", "primary")
        self.end = role_button("End session", "danger")
        self.leave = role_button("Leave session", "danger")
        self.start.clicked.connect(panel.start)
        self.end.clicked.connect(panel.end)
        self.leave.clicked.connect(panel.end)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start, 1)
        buttons.addWidget(self.end)
        buttons.addWidget(self.leave)
        header.body.addWidget(self.title)
        header.body.addWidget(self.status)
        header.body.addLayout(buttons)
        self.layout_box = layout_picker()
        self.layout_box.activated.connect(lambda _: panel.change_layout(self.layout_box))
        picker = QHBoxLayout()
        picker.addWidget(QLabel("Layout"))
        picker.addWidget(self.layout_box, 1)
        self.hosts = QVBoxLayout()
        self.hosts.setSpacing(2)
        self.requests_title = section("Requests to join")
        self.requests = QVBoxLayout()
        self.invite_title = section("Invite co-hosts")
        self.finder = UserSearch(
            panel.account,
            panel.tasks,
            "Search streamers to invite…",
            min_height=90,
            exclude=lambda: {h.user_id for h in panel.session.hosts} if panel.session else set(),
        )
        self.invite = QPushButton("Send invitation")
        self.invite.setEnabled(False)
        self.finder.selection_changed.connect(
            lambda: self.invite.setEnabled(self.finder.user is not None)
        )
        self.finder.chosen.connect(panel.invite)
        self.invite.clicked.connect(self._invite)
        self.pending = dim()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(header)
        layout.addLayout(picker)
        layout.addWidget(section("Hosts"))
        layout.addLayout(self.hosts)
        layout.addWidget(self.requests_title)
        layout.addLayout(self.requests)
        layout.addWidget(self.invite_title)
        layout.addWidget(self.finder, 1)
        layout.addWidget(self.invite)
        layout.addWidget(self.pending)

    def _invite(self) -> None:
        if self.finder.user is not None:
            self.panel.invite(self.finder.user)

    def show_state(self, state: CohostState) -> None:
        session = state.session
        assert session is not None
        self.title.setText(session.title)
        live = session.status == "live"
        on_air = live or self.panel.broadcasting
        self.status.setText(
            f"{on_air_text(state, self.panel.broadcasting)} · {session.type.title()} ·"
            f" {len(session.hosts)}/{session.max_hosts} hosts · {session.topology}"
        )
        self.status.setStyleSheet(f"color: {theme.ACCENT if on_air else theme.TEXT_DIM};")
        self.start.setVisible(state.is_primary and not live)
        self.end.setVisible(state.is_primary)
        self.leave.setVisible(not state.is_primary)
        self.layout_box.setCurrentIndex(
            max(0, self.layout_box.findData(layout_key(session.layout)))
        )
        self.layout_box.setEnabled(state.can_manage)
        rows = {row.user_id: row for row in self._rows(self.hosts, HostRow)}
        hosts: list[HostRow] = []
        for host in session.hosts:
            row = rows.get(host.user_id)
            if row is None:
                row = HostRow(self.panel, host, state)
            else:
                row.show_host(host, state)
            hosts.append(row)
        self._fill(self.hosts, hosts)
        manage = state.can_manage
        pending = state.pending
        asked = {row.user_id: row for row in self._rows(self.requests, RequestRow)}
        self._fill(
            self.requests,
            [asked.get(r.user.id) or RequestRow(self.panel, r) for r in pending.requests],
        )
        self.requests_title.setVisible(manage and bool(pending.requests))
        for widget in (self.invite_title, self.finder, self.invite, self.pending):
            widget.setVisible(manage)
        waiting = ", ".join(i.user.label for i in pending.invitations)
        self.pending.setText(f"Invited, waiting: {waiting}" if waiting else "")

    def host_row(self, user_id: str) -> HostRow | None:
        return self._row(self.hosts, HostRow, user_id)

    def request_row(self, user_id: str) -> RequestRow | None:
        return self._row(self.requests, RequestRow, user_id)

    @classmethod
    def _row(cls, column: QVBoxLayout, kind: type[Row], user_id: str) -> Row | None:
        return next((row for row in cls._rows(column, kind) if row.user_id == user_id), None)

    @staticmethod
    def _rows(column: QVBoxLayout, kind: type[Row]) -> list[Row]:
        items = (column.itemAt(index) for index in range(column.count()))
        widgets = (item.widget() for item in items if item is not None)
        return [widget for widget in widgets if isinstance(widget, kind)]

    @staticmethod
    def _fill(column: QVBoxLayout, rows: Sequence[QWidget]) -> None:
        """``rows`` in order; rows kept from before move, the others are deleted."""
        keep = set(rows)
        while column.count():
            item = column.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None and old not in keep:
                old.deleteLater()
        for row in rows:
            column.addWidget(row)


class CohostPanel(ServerPanel):
    loading_text = "Loading your co-host sessions"

    def __init__(
        self,
        parts: PanelParts,
        *,
        broadcast: Broadcast,
        stages: StageArea,
    ) -> None:
        super().__init__(parts, "Sign in to host together with other streamers.")
        self.broadcast = broadcast
        self.stages = stages
        self.state: CohostState | None = None
        self.room = RoomFollower(parts.account, multihost_room)
        self.stage = CohostStage()
        self.feeds = TileFeeds(self.stage)
        self.broadcasting = False  # this studio is live (Go Live)
        self.start_page = StartPage(self)
        self.session_page = SessionPage(self)
        self.add_pages(self.start_page, self.session_page)
        self.broadcast.source_changed.add(lambda _: self.tasks.spawn(self._follow()))

    @property
    def session(self) -> CohostSession | None:
        return self.state.session if self.state is not None else None

    def set_broadcasting(self, live: bool) -> None:
        self.broadcasting = live
        if self.session is not None:
            self.refresh()

    # ---- actions --------------------------------------------------------------------
    def create_session(self, title: str, kind: str, mode: str, grid: str | None) -> None:
        api = self.account.api
        self._run(api.create_cohost_session(title, kind, mode, grid), "Creating the session")

    def answer_invitation(self, invitation: Invited, join: bool) -> None:
        if self.state is None:
            return
        if join:
            api = self.account.api
            self._run(api.accept_cohost_invite(invitation.session_id), "Joining the session")
        else:
            self.state.forget_invitation(invitation.session_id)
            self.refresh()

    def start(self) -> None:
        if self.session is not None:
            api = self.account.api
            self._run(api.start_cohost_session(self.session.id), "Starting the session")

    def end(self) -> None:
        """End the session (primary host) or leave it (co-host)."""
        if self.session is None or self.state is None:
            return
        api = self.account.api
        if self.state.is_primary:
            self._run(api.end_cohost_session(self.session.id), "Ending the session")
        else:
            self._run(api.leave_cohost_session(self.session.id), "Leaving the session")

    def invite(self, user: FoundUser) -> None:
        if self.session is not None:
            call = self.account.api.invite_cohost(self.session.id, user.id)
            self.tasks.spawn(self._invited(call, user), "The invitation")

    def answer_request(self, user_id: str, approve: bool) -> None:
        if self.session is not None:
            api = self.account.api
            self._run(api.answer_cohost_request(self.session.id, user_id, approve), "Answering")

    def remove(self, user_id: str) -> None:
        if self.session is not None:
            api = self.account.api
            self._run(api.remove_cohost(self.session.id, user_id), "Removing the host")

    def set_media(self, user_id: str, audio: bool | None = None, video: bool | None = None) -> None:
        if self.session is not None and self.state is not None:
            target = None if user_id == self.state.me else user_id
            api = self.account.api
            self.tasks.spawn(
                api.cohost_settings(self.session.id, user_id=target, audio=audio, video=video),
                "Changing the host's settings",
            )  # the multihost:settings event updates every client

    def change_layout(self, box: QComboBox) -> None:
        if self.session is not None:
            mode, grid = picked_layout(box)
            api = self.account.api
            self.tasks.spawn(
                api.change_cohost_layout(self.session.id, mode, grid), "Changing the layout"
            )

    def _run(self, call: Coroutine[Any, Any, CohostSession], what: str) -> None:
        self.tasks.spawn(self._show(call), what)

    async def _show(self, call: Coroutine[Any, Any, CohostSession]) -> None:
        session = await call
        if self.state is not None:
            self.state.load(session)
            self.refresh()
            await self._follow()

    async def _invited(self, call: Coroutine[Any, Any, Invitation], user: FoundUser) -> None:
        await call
        self.toasts.show_toast("Invitation sent", f"Waiting for {user.label}.", ms=2500)

    # ---- server state ---------------------------------------------------------------
    def signed_in(self, user: Account | None) -> None:
        self.state = CohostState(user.id) if user is not None else None
        self.room.reset()
        self.refresh()
        self.tasks.spawn(self._follow())
        if user is not None:
            self.reload()

    async def _fetch(self) -> None:
        state = self.state
        if state is None:
            return
        sessions = await self.account.api.user_cohost_sessions(state.me)
        current = next((s for s in sessions if s.open and s.host(state.me)), None)
        if current is not None:
            state.load(current)
        elif state.session is not None:
            state.load(await self.account.api.cohost_session(state.session.id))
        await self.broadcast.leave_call()  # the event link came back: join the call again
        self.refresh()
        await self._follow()

    def event_received(self, event: ServerEvent) -> None:
        if event.name.startswith("webrtc:"):
            self.broadcast.deliver_signal(event)
            return
        state = self.state
        if state is None or not event.name.startswith("multihost:"):
            return
        if state.apply(event):
            self._tell(event, state.me)
            self.tasks.spawn(self._follow())
            self.refresh()

    def _tell(self, event: ServerEvent, me: str) -> None:
        """A toast for an invitation to me or a request to join my session."""
        payload = event.payload()
        if isinstance(payload, Invited) and payload.invitation.user.id == me:
            inviter = payload.session.primary_host.label
            self.toasts.show_toast(
                "Co-host invitation", f"{inviter} invites you to go live together."
            )
        elif isinstance(payload, JoinRequested):
            name = payload.request.user.label
            self.toasts.show_toast("Request to join", f"{name} wants to co-host.")

    async def _follow(self) -> None:
        """In the session's room and call while hosting it; out of both otherwise."""
        session = self.session
        await self.room.follow(session.id if session is not None else "")
        events, state = self.account.events, self.state
        if session is None or events is None or state is None:
            await self.broadcast.leave_call()
            return
        # No picture of mine yet (a start: the source opens meanwhile): joined once it is open.
        await self.broadcast.join_call(
            session.id, session.topology, state.me, self.account.api, events, self.feeds
        )

    async def shutdown(self) -> None:
        await self.broadcast.leave_call()
        await self.feeds.close()

    # ---- rendering ------------------------------------------------------------------
    def refresh(self) -> None:
        state = self.state
        if state is None:
            self.show_page(self.signed_out)
            self.stages.hide_stage(self.stage)
            return
        session = state.session
        if session is None:
            self.start_page.show_state(state)
            self.show_page(self.start_page)
            self.stages.hide_stage(self.stage)
            return
        self.session_page.show_state(state)
        if self.pages.currentWidget() is not self.session_page and state.can_manage:
            self.session_page.finder.run_search()  # streamers to invite, before any typing
        self.show_page(self.session_page)
        self.stage.set_layout(state.tiles(), {h.user_id: h for h in session.hosts}, state.me)
        self.stages.show_stage(self.stage)
