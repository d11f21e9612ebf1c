"""Go Live / End and the health strip (state, fps, bitrate, RTT, loss, quality level).

Publishing uses the media engine's WHIP publisher (``studio.core.publisher``) on the preview's
frame flow, to ``/whip/<username>`` on the signed-in backend. The publisher reports its status
on every change and statistics tick; the strip shows it and warns when the link degrades.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from studio.core.audio import audio_for
from studio.core.encoder import CODECS
from studio.core.media_config import ice_servers, media_config, media_url
from studio.core.models import User
from studio.core.publisher import Publisher, PublisherState, PublisherStatus
from studio.core.stats_reporter import StatsReporter
from studio.core.voice import voiced
from studio.ui import theme
from studio.ui.confirm import confirm
from studio.ui.main_window import MainWindow

WARN_LOSS_PCT = 5.0
WARN_RTT_MS = 300.0
CODEC_CHOICES = {
    "vp8": ("VP8", "plays in every browser"),
    "h264": ("H.264", "lower latency and less CPU"),
}


class HealthStrip(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.state = QLabel("● Offline")
        self.numbers = QLabel()
        self.numbers.setProperty("dim", True)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 0, 8, 0)
        row.setSpacing(14)
        row.addWidget(self.state)
        row.addWidget(self.numbers)

    def show_status(self, status: PublisherStatus, codec: str = "") -> None:
        colour = {
            PublisherState.LIVE: theme.ACCENT,
            PublisherState.CONNECTING: theme.WARNING,
            PublisherState.RECONNECTING: theme.WARNING,
            PublisherState.FAILED: theme.DANGER,
        }.get(status.state, theme.TEXT_DIM)
        self.state.setText(f"● {status.state.value.upper()}")
        self.state.setStyleSheet(f"color: {colour}; font-weight: 800;")
        if status.state is not PublisherState.LIVE:
            self.numbers.setText(status.error)
            return
        rtt = f"{status.rtt_ms:.0f} ms" if status.rtt_ms is not None else "–"
        self.numbers.setText(
            (f"{CODEC_CHOICES[codec][0]} · " if codec in CODEC_CHOICES else "")
            + f"{status.level.label} · {status.fps:.0f} fps · {status.bitrate_kbps:,.0f} kbps"
            f" · RTT {rtt} · loss {status.loss_pct:.1f}%"
            + (f" · network {status.network}" if status.network else "")
        )


class CodecMenu(QToolButton):
    """Beside Go Live: the video codec of the next broadcast (kept in the settings)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.settings = window.settings
        self.setToolTip("The video codec of the next broadcast")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.addSection("Video codec")
        group = QActionGroup(self)
        self.choices: dict[str, QAction] = {}
        for codec, (name, note) in CODEC_CHOICES.items():
            action = menu.addAction(f"{name} — {note}")
            action.setCheckable(True)
            action.setChecked(codec == self.codec)
            action.triggered.connect(lambda _=False, codec=codec: self._choose(codec))
            group.addAction(action)
            self.choices[codec] = action
        self.setMenu(menu)
        self.setText(CODEC_CHOICES[self.codec][0])

    @property
    def codec(self) -> str:
        """The chosen codec (VP8 when the settings hold an unknown one)."""
        return self.settings.video_codec if self.settings.video_codec in CODECS else "vp8"

    def _choose(self, codec: str) -> None:
        self.settings.video_codec = codec
        self.setText(CODEC_CHOICES[codec][0])


class GoLive(QPushButton):
    """The toolbar's Go Live / End button; owns the publisher while live."""

    live_changed = Signal(bool)  # the broadcast started (True) or ended

    def __init__(self, window: MainWindow) -> None:
        super().__init__("Go Live")
        self.studio = window
        self.publisher: Publisher | None = None
        self.reporter: StatsReporter | None = None  # the link's numbers for the backend
        self.health = HealthStrip()
        self.codec_menu = CodecMenu(window)
        self._warned = False
        self.setProperty("role", "live")
        self.setToolTip("Start or end the broadcast (Ctrl+L)")
        self.setShortcut("Ctrl+L")
        self.setEnabled(False)
        self.clicked.connect(self._clicked)
        window.signed_in.connect(self._signed_in)
        window.add_toolbar_widget(self)
        window.add_toolbar_widget(self.codec_menu)
        window.statusBar().addWidget(self.health, 1)
        window.shutdown_hooks.append(self.stop)
        window.end_guards.append(self._end_question)

    @property
    def live(self) -> bool:
        return self.publisher is not None

    def _end_question(self) -> str:
        return "You're live — end the stream? Your viewers will see it end." if self.live else ""

    def _signed_in(self, user: User | None) -> None:
        self.setEnabled(user is not None)
        if user is None and self.publisher is not None:
            self.studio.tasks.spawn(self.stop())

    def _clicked(self) -> None:
        if not self.live:
            self.studio.tasks.spawn(self.start(), "Going live")
        elif confirm(self, "End the stream", self._end_question(), "End stream"):
            self.studio.tasks.spawn(self.stop(), "Ending the stream")

    async def start(self) -> None:
        session = self.studio.session
        flow = self.studio.feed.flow
        if session.user is None or flow is None:
            return
        config = await media_config(session.api)
        if self.publisher is not None:  # a second click while we asked
            return
        url = media_url(session.api.base_url, config["whip"], session.user.username)
        self.publisher = Publisher(
            url,
            flow,
            token=session.api.token,
            audio=voiced(audio_for(self.studio.feed.spec or "sample"), self.studio.voice),
            ice_servers=ice_servers(config),
            on_status=self._status,
            codec=self.codec_menu.codec,
        )
        if session.events is not None:
            self.reporter = StatsReporter(session.events, session.user.username)
            self.publisher.add_status_listener(self.reporter)
        self._show_live(True)
        await self.publisher.start()

    async def stop(self) -> None:
        publisher, self.publisher = self.publisher, None
        reporter, self.reporter = self.reporter, None
        self._show_live(False)
        if reporter is not None:
            await reporter.close()
        if publisher is not None:
            await publisher.stop()
            self.studio.toasts.show_toast("Stream ended", kind="info", ms=2500)

    def _show_live(self, live: bool) -> None:
        self.setText("End stream" if live else "Go Live")
        self.codec_menu.setEnabled(not live)  # a codec is chosen for a whole broadcast
        self.setProperty("live", live)
        theme.restyle(self)
        self.live_changed.emit(live)

    def _status(self, status: PublisherStatus) -> None:
        self.health.show_status(status, self.publisher.codec if self.publisher else "")
        degraded = status.state is PublisherState.LIVE and (
            status.loss_pct >= WARN_LOSS_PCT
            or (status.rtt_ms is not None and status.rtt_ms >= WARN_RTT_MS)
        )
        if degraded and not self._warned:
            self.studio.toasts.show_toast(
                "Connection degrading",
                f"Loss {status.loss_pct:.1f}%; quality lowered to {status.level.label}.",
                kind="warning",
            )
        if status.state is PublisherState.FAILED:
            self.studio.toasts.show_toast("Could not go live", status.error, kind="error")
        self._warned = degraded
