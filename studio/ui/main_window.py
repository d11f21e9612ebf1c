"""The studio's main window: toolbar, live preview, dockable panels, banner, toasts, shortcuts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QMoveEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.api_client import BackendUnreachable
from studio.core.broadcast import Broadcast
from studio.core.events import LinkState, ServerEvent
from studio.core.profiles import Profile
from studio.core.scenes.store import SceneStore
from studio.core.session import Session
from studio.core.settings_store import SettingsSaver
from studio.core.source_switch import SAMPLE, cameras, describe
from studio.core.wording import coins
from studio.ui import theme
from studio.ui.banner import ConnectionBanner
from studio.ui.confirm import confirm
from studio.ui.preview import PreviewFeed, PreviewView
from studio.ui.sign_in import SignInDialog
from studio.ui.signals import StudioSignals
from studio.ui.stage_area import StageArea
from studio.ui.stream_keys import open_stream_keys
from studio.ui.tasks import Tasks
from studio.ui.toasts import ToastHost
from studio.ui.user_text import button_text
from wire.events import PK
from wire.users import Account

log = logging.getLogger(__name__)

MAX_PROBE_DELAY_S = 8.0
BALANCE_DELAY_MS = 600
OPEN_FILE = "open-file"
SIDE_AREAS = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
PREVIEW_SHARE = 0.5  # docks give way (down to their minimum) until the preview has this share


class MainWindow(QMainWindow):
    """Owns the session's UI; panels plug in as docks and receive server events."""

    closed = Signal()

    def __init__(
        self, session: Session, broadcast: Broadcast, profile: Profile | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.broadcast = broadcast
        self.signals = StudioSignals()
        self.settings = session.settings
        self.profile = profile or Profile()
        self.tasks = Tasks(self)
        self._show_title(None)
        self.resize(1440, 880)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )

        self.preview = PreviewView()
        self.preview.compare = self.settings.compare
        self.feed = PreviewFeed(self.preview, broadcast)
        self.banner = ConnectionBanner()
        self.toasts = ToastHost(self)
        self.saver = SettingsSaver(
            session.store, self.settings, self._collect_settings, self._settings_not_saved
        )
        self.scene_saver: SettingsSaver | None = None  # once the scenes are open
        self._layout_watched = False  # dock and window moves save once the layout is restored
        self.sign_in_dialog: SignInDialog | None = None
        self.docks: dict[str, QDockWidget] = {}
        self._probing = False
        self._retry = asyncio.Event()
        self._unsubscribe: list[Callable[[], None]] = []  # from the signed-in event link
        self.shutdown_hooks: list[Callable[[], Awaitable[None]]] = []  # run before closing
        # Each names what closing or signing out would end ("" when nothing): the person is
        # asked first, and may keep going.
        self.end_guards: list[Callable[[], str]] = []
        self._balance_timer = QTimer(self)
        self._balance_timer.setSingleShot(True)
        self._balance_timer.setInterval(BALANCE_DELAY_MS)
        self._balance_timer.timeout.connect(lambda: self.tasks.spawn(self._refresh_user()))

        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        self.centre = StageArea(self.preview)  # the preview, or a panel's stage
        column.addWidget(self.centre, 1)
        self.setCentralWidget(central)
        self._build_toolbar()
        self.link_label = QLabel("○ Offline")
        self.link_label.setProperty("dim", True)
        self.statusBar().addPermanentWidget(self.link_label)

        self.banner.retry.connect(self._retry_now)
        self.tasks.failed.connect(lambda text: self.toasts.show_toast(text, kind="error"))
        self.tasks.unreachable.connect(self._backend_down)
        broadcast.source_failed.add(lambda text: self.toasts.show_toast(text, kind="error"))
        broadcast.source_changed.add(self._source_changed)
        self.session.on_change(self._session_changed)
        self.signals.server_event.connect(self.notify)
        self._shortcut("Ctrl+Q", self.close)
        self._shortcut("F11", self._toggle_fullscreen)

    # ---- building -------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Studio")
        bar.setObjectName("toolbar")
        bar.setMovable(False)
        brand = QLabel(f"On<span style='color:{theme.ACCENT}'>Air</span> Studio")
        brand.setObjectName("brand")
        bar.addWidget(brand)
        bar.addSeparator()
        self.source_box = QComboBox()
        self.source_box.setMinimumWidth(170)
        self.source_box.setToolTip("Video source (Ctrl+O opens a file)")
        self._fill_sources()
        self.source_box.activated.connect(self._source_picked)
        bar.addWidget(self.source_box)
        self.compare_button = QPushButton("Before / After")
        self.compare_button.setCheckable(True)
        self.compare_button.setChecked(self.settings.compare)
        self.compare_button.setToolTip("Compare the raw source with the effects (Ctrl+B)")
        self.compare_button.toggled.connect(self._set_compare)
        bar.addWidget(self.compare_button)
        self._shortcut("Ctrl+B", self.compare_button.toggle)
        self._shortcut("Ctrl+O", self._open_file)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.toolbar_end = bar.addSeparator()
        self.account = QToolButton()
        self.account.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.account.setText("Not signed in")
        menu = QMenu(self.account)
        menu.addAction("Refresh balance", lambda: self.tasks.spawn(self._refresh_user()))
        menu.addAction("Stream keys for OBS…", self.open_stream_keys)
        menu.addAction("Sign out", self.sign_out)
        self.account.setMenu(menu)
        bar.addWidget(self.account)
        self.toolbar = bar

    def _fill_sources(self) -> None:
        self.source_box.clear()
        specs = [SAMPLE, *cameras()]
        current = self.settings.source
        if current.startswith("file:"):
            specs.append(current)
        for spec in specs:
            self.source_box.addItem(describe(spec), spec)
        self.source_box.addItem("Open a video file…", OPEN_FILE)
        self.source_box.setCurrentIndex(max(0, self.source_box.findData(current)))

    def add_panel(
        self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea, shortcut: str
    ) -> QDockWidget:
        """A dockable, closable, floatable panel; ``shortcut`` shows or hides it."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        toggle = dock.toggleViewAction()
        toggle.setShortcut(QKeySequence(shortcut))
        self.addAction(toggle)
        self.docks[key] = dock
        return dock

    def add_banner(self, banner: QWidget) -> None:
        """A strip above the preview, under the connection banner (it shows itself)."""
        central = self.centralWidget()
        column = central.layout() if central is not None else None
        assert isinstance(column, QVBoxLayout)
        column.insertWidget(column.indexOf(self.centre), banner)

    def add_toolbar_widget(self, widget: QWidget) -> None:
        """Put ``widget`` at the toolbar's right end, before the account button."""
        self.toolbar.insertWidget(self.toolbar_end, widget)

    def restore_layout(self) -> None:
        """Geometry, dock placement and sizes from the last run (after panels are added)."""
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.window_geometry.encode()))
        if self.settings.window_state:
            self.restoreState(QByteArray.fromBase64(self.settings.window_state.encode()))
        for dock in self.docks.values():
            dock.dockLocationChanged.connect(self._layout_changed)
            dock.topLevelChanged.connect(self._layout_changed)
            dock.visibilityChanged.connect(self._layout_changed)
        self._layout_watched = True

    def _layout_changed(self) -> None:
        if self._layout_watched and self.isVisible():  # closing hides docks: not a new layout
            self.saver.changed()

    def _shortcut(self, keys: str, slot: Callable[[], object]) -> QAction:
        action = QAction(self)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # ---- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        self.tasks.spawn(self._open_scenes(), "Opening the scenes")
        self._open_source(self.settings.source, "Opening the source")
        self.tasks.spawn(self._resume(), "Signing in")

    async def _open_scenes(self) -> None:
        """Compose the saved scenes (the starter ones on a first start) as the program."""
        store = SceneStore(self.session.store.path.parent)
        scenes = store.load()
        self.broadcast.use_scenes(scenes)
        self.scene_saver = SettingsSaver(store, scenes, on_error=self._settings_not_saved)

    async def shutdown(self) -> None:
        for hook in self.shutdown_hooks:
            await hook()
        await self.feed.stop()
        await self.tasks.cancel_all()
        await self.broadcast.close()
        await self.session.close()
        for saver in (self.saver, self.scene_saver):
            if saver is not None and saver.pending:  # a change made while shutting down
                saver.flush()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.may_end("Quit OnAir Studio", "Quit"):
            event.ignore()
            return
        self.save_settings()
        super().closeEvent(event)
        self.closed.emit()

    def open_stream_keys(self) -> None:
        if self.session.user is not None:
            open_stream_keys(self.session.api, self.session.user.username, self.tasks, self)

    def sign_out(self) -> None:
        if self.may_end("Sign out", "Sign out"):
            self.tasks.spawn(self.session.sign_out())

    def may_end(self, title: str, accept: str) -> bool:
        """True when nothing would end, or the person agreed to end what would."""
        questions = [text for guard in self.end_guards if (text := guard())]
        return not questions or confirm(self, title, "\n\n".join(questions), accept)

    def save_settings(self) -> None:
        """Write the settings now (they are also written soon after every change)."""
        self.saver.flush()

    def _collect_settings(self) -> None:
        """Copy what only the widgets hold into the settings, just before they are saved."""
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64().data()).decode()
        self.settings.compare = self.compare_button.isChecked()
        broadcast = self.broadcast
        self.settings.source = broadcast.spec or self.settings.source
        self.settings.effects = {**broadcast.chain.saved_values(), **broadcast.voice.saved_values()}
        self.settings.enabled_effects = broadcast.chain.enabled + broadcast.voice.enabled

    def _settings_not_saved(self, message: str) -> None:
        self.toasts.show_toast("Settings not saved", message, kind="error", group="settings")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.toasts.relayout()
        self._layout_changed()
        if event.size().width() < event.oldSize().width() or event.oldSize().width() < 0:
            QTimer.singleShot(0, self.make_room_for_preview)  # once the docks are laid out

    def make_room_for_preview(self) -> None:
        """Narrow the side docks, each in proportion to what it can give, until the preview
        has ``PREVIEW_SHARE`` of the window's width (a 1280 px window left it 380 px)."""
        wanted = int(self.width() * PREVIEW_SHARE) - self.centre.width()
        sides = self._side_docks()
        spare = {dock: max(0, dock.width() - dock.minimumSizeHint().width()) for dock in sides}
        total = sum(spare.values())
        if wanted <= 0 or total <= 0:
            return
        give = min(1.0, wanted / total)
        widths = [dock.width() - int(spare[dock] * give) for dock in sides]
        self.resizeDocks(sides, widths, Qt.Orientation.Horizontal)

    def _side_docks(self) -> list[QDockWidget]:
        """One shown, docked panel for each side area that has one."""
        sides: dict[Qt.DockWidgetArea, QDockWidget] = {}
        for dock in self.docks.values():
            area = self.dockWidgetArea(dock)
            if (
                area in SIDE_AREAS
                and area not in sides
                and dock.isVisible()
                and not dock.isFloating()
            ):
                sides[area] = dock
        return list(sides.values())

    def moveEvent(self, event: QMoveEvent) -> None:
        super().moveEvent(event)
        self._layout_changed()

    # ---- signing in -----------------------------------------------------------------
    async def _resume(self) -> None:
        """Resume the remembered session, or ask to sign in (and say if the backend is down)."""
        try:
            user = await self.session.resume()
            if user is None:
                self.ask_sign_in()
                await self.session.api.health()
        except BackendUnreachable as exc:
            self._backend_down(str(exc))

    def ask_sign_in(self) -> None:
        if self.sign_in_dialog is not None and self.sign_in_dialog.isVisible():
            return
        self.sign_in_dialog = SignInDialog(self.session, self.tasks, self)
        self.sign_in_dialog.open()

    def _session_changed(self, user: Account | None) -> None:
        while self._unsubscribe:
            self._unsubscribe.pop()()
        events = self.session.events
        if user is not None and events is not None:
            self._unsubscribe = [
                events.subscribe(self.signals.server_event.emit),
                self.broadcast.follow_gifts(events, user.id),  # gifts burst on the broadcast
            ]
            events.on_state(self._link_changed)
            self._show_user(user)
            self._show_title(user)
            self.toasts.show_toast(f"Welcome, {user.label}", kind="success", ms=2500)
        else:
            self.account.setText("Not signed in")
            self._show_title(None)
            self._show_link("○ Offline", theme.TEXT_DIM)
            self.ask_sign_in()
        self.signals.signed_in.emit(user)

    def _show_title(self, user: Account | None) -> None:
        """Which account, in which profile: "OnAir Studio — alice (profile: work)"."""
        title = "OnAir Studio" + (f" — {user.username}" if user is not None else "")
        self.setWindowTitle(
            title if self.profile.is_default else f"{title} (profile: {self.profile.name})"
        )

    def _show_user(self, user: Account) -> None:
        self.account.setText(button_text(f"{user.label}  ·  {coins(user.coins)}"))

    async def _refresh_user(self) -> None:
        if self.session.signed_in:
            self._show_user(await self.session.refresh_user())

    def refresh_balance(self) -> None:
        """Fetch the coin balance soon; a burst of gifts costs one request, not one each."""
        if self.session.signed_in and not self._balance_timer.isActive():
            self._balance_timer.start()

    # ---- backend health -------------------------------------------------------------
    def _link_changed(self, state: LinkState) -> None:
        events = self.session.events
        if state is LinkState.CONNECTED:
            self.banner.hide()
            self._show_link("● Connected", theme.SUCCESS)
            if events is not None and events.connections > 1:
                self.signals.resynced.emit()
                self.refresh_balance()
        elif state is LinkState.RECONNECTING:
            self._show_link("◌ Reconnecting…", theme.WARNING)
            self.banner.show_down(f"Lost the connection to {self.session.api.base_url}.")
        elif state is LinkState.UNAUTHORIZED:
            self.toasts.show_toast("Your session expired", "Sign in again.", kind="warning")
            self.tasks.spawn(self.session.sign_out())

    def _show_link(self, text: str, colour: str) -> None:
        self.link_label.setText(text)
        self.link_label.setStyleSheet(f"color: {colour};")

    def _backend_down(self, message: str) -> None:
        self.banner.show_down(message)
        if not self._probing:
            self._probing = True
            self.tasks.spawn(self._probe_backend())

    def _retry_now(self) -> None:
        self._retry.set()
        if self.session.events is not None:
            self.session.events.retry_now()

    async def _probe_backend(self) -> None:
        """Poll the backend until it answers, then carry on where the failure stopped us."""
        delay = 1.0
        try:
            while True:
                try:
                    await self.session.api.health()
                    break
                except BackendUnreachable as exc:
                    self.banner.show_down(str(exc))
                self._retry.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._retry.wait()
                delay = min(MAX_PROBE_DELAY_S, delay * 2)
        finally:
            self._probing = False
        events = self.session.events
        if events is None or events.state is LinkState.CONNECTED:
            self.banner.hide()
        if not self.session.signed_in:
            await self._resume()

    # ---- preview and sources --------------------------------------------------------
    def _set_compare(self, on: bool) -> None:
        self.preview.set_compare(on)
        self.settings.compare = on

    def _source_picked(self, index: int) -> None:
        spec = self.source_box.itemData(index)
        if spec == OPEN_FILE:
            self._open_file()
        elif spec != self.broadcast.spec:
            self._open_source(spec, "Switching the source")

    def _open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a video file", "", "Videos (*.mp4 *.mov *.mkv *.webm *.avi);;All files (*)"
        )
        if path:
            self._open_source(f"file:{path}", "Opening the file")
        else:
            self._source_changed(self.broadcast.spec)

    def _open_source(self, spec: str, what: str) -> None:
        self.feed.opening(spec)
        self.tasks.spawn(self.broadcast.open_source(spec), what)

    def _source_changed(self, spec: str) -> None:
        self.settings.source = spec
        if self.source_box.findData(spec) < 0:
            self.source_box.insertItem(self.source_box.count() - 1, describe(spec), spec)
        self.source_box.setCurrentIndex(self.source_box.findData(spec))

    def _toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    # ---- server events --------------------------------------------------------------
    def notify(self, event: ServerEvent) -> None:
        """Toasts for events that concern the signed-in user (panels render the details)."""
        user = self.session.user
        if user is None:
            return
        if event.name == PK.CREATED:
            battle = event.data["battle"]
            if battle["host2"]["id"] == user.id:
                challenger = battle["host1"].get("displayName") or battle["host1"]["username"]
                self.toasts.show_toast(
                    "PK challenge!", f"{challenger} wants a {battle['duration']}-minute battle."
                )
        elif event.name == PK.GIFT:
            gift = event.data["gift"]
            sender = gift["sender"].get("displayName") or gift["sender"]["username"]
            if gift["toHost"] == user.id:
                self.toasts.show_toast(
                    f"{sender} sent {gift['quantity']}× {gift['name']}",
                    f"+{coins(gift['coins'])}",
                    kind="gift",
                    ms=3000,
                    group="gift",
                )
                self.refresh_balance()
        elif event.name == PK.ENDED:
            self.refresh_balance()
