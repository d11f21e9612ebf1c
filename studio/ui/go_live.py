"""Go Live / End, the output menu beside it (codec and output quality), the health strip
(state, elapsed live time, viewers, fps, bitrate, RTT, loss, quality level) and the banner that
says when this computer cannot keep up.

Going live commands the broadcast engine (``studio.core.broadcast``), which publishes its
program frames over WHIP to ``/whip/<username>`` on the signed-in backend. The engine reports
the live output's status on every change and statistics tick; the strip shows it and warns
when the link degrades.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from studio.core import output_quality
from studio.core.broadcast import Broadcast, LiveTarget
from studio.core.effects_chain import EffectsChain
from studio.core.encoder import CODECS
from studio.core.keep_up import KeepUp, KeepUpWatch
from studio.core.media_config import ice_servers, media_config, media_url
from studio.core.output_quality import AUTO, BY_KEY, OutputMode
from studio.core.publisher import Publisher, PublisherState, PublisherStatus
from studio.core.settings_store import StudioSettings
from studio.core.sources import Image
from studio.core.stats_reporter import StatsReporter
from studio.core.viewers import ViewerCount
from studio.ui import theme
from studio.ui.banner import KeepUpBanner
from studio.ui.confirm import confirm
from studio.ui.parts import PanelParts
from studio.ui.tasks import Tasks
from studio.ui.toasts import ToastHost
from wire.users import Account

WARN_LOSS_PCT = 5.0
WARN_RTT_MS = 300.0
FRAME_WAIT_S = 0.1  # how often measuring checks for the source's first frame
CODEC_CHOICES = {
    "vp8": ("VP8", "plays in every browser"),
    "h264": ("H.264", "lower latency and less CPU"),
}


class MeasurementAbandoned(Exception):
    """The studio closed while measuring this computer."""


def elapsed_text(seconds: float) -> str:
    """h:mm:ss."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def viewers_text(viewers: int) -> str:
    return "1 viewer" if viewers == 1 else f"{viewers:,} viewers"


def _dim_disabled_items(menu: QMenu) -> None:
    """Grey out what cannot be chosen (the theme leaves disabled menu items bright)."""
    menu.setStyleSheet(f"QMenu::item:disabled {{ color: {theme.TEXT_DIM}; }}")


class HealthStrip(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.state = QLabel("● Offline")
        self.elapsed = QLabel()  # time live, ticking each second
        self.elapsed.setToolTip("Time live")
        self.viewers = QLabel()
        self.viewers.setToolTip("People watching now")
        self.numbers = QLabel()
        self.numbers.setProperty("dim", True)
        self.numbers.setTextFormat(Qt.TextFormat.PlainText)  # it shows servers' error texts
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 0, 8, 0)
        row.setSpacing(14)
        for label in (self.state, self.elapsed, self.viewers):
            row.addWidget(label)
        row.addWidget(self.numbers, 1)
        self._live_since: float | None = None
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self.end_broadcast()

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
        if self._live_since is None:  # counted from the first moment viewers could see us
            self._live_since = time.monotonic()
            self._clock.start()
            self._tick()
            self.elapsed.show()
        rtt = f"{status.rtt_ms:.0f} ms" if status.rtt_ms is not None else "–"
        self.numbers.setText(
            (f"{CODEC_CHOICES[codec][0]} · " if codec in CODEC_CHOICES else "")
            + f"{status.level.label} · {status.fps:.0f} fps · {status.bitrate_kbps:,.0f} kbps"
            f" · RTT {rtt} · loss {status.loss_pct:.1f}%"
            + (f" · network {status.network}" if status.network else "")
        )

    def show_viewers(self, viewers: int) -> None:
        self.viewers.setText(viewers_text(viewers))
        self.viewers.show()

    def end_broadcast(self) -> None:
        self._clock.stop()
        self._live_since = None
        self.elapsed.hide()
        self.viewers.hide()

    def _tick(self) -> None:
        if self._live_since is not None:
            self.elapsed.setText(elapsed_text(time.monotonic() - self._live_since))


class OutputMenu(QToolButton):
    """Beside Go Live: the next broadcast's video codec and output quality (both kept in the
    settings). Auto's choice comes from measuring this computer, once, or when asked."""

    def __init__(
        self, settings: StudioSettings, chain: EffectsChain, tasks: Tasks, toasts: ToastHost
    ) -> None:
        super().__init__()
        self.settings = settings
        self.chain = chain  # what is measured: the effects as they are on
        self.tasks = tasks
        self.toasts = toasts
        self.measuring: float | None = None  # the fraction done while measuring
        self.setToolTip("The video codec and output quality of the next broadcast")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        _dim_disabled_items(menu)
        menu.addSection("Video codec")
        self.choices = self._radio_actions(
            menu, {c: f"{name} — {note}" for c, (name, note) in CODEC_CHOICES.items()}, self._choose
        )
        menu.addSection("Output quality")
        self.qualities = self._radio_actions(
            menu, {key: key for key in (AUTO, *BY_KEY)}, self._choose_quality
        )
        menu.addSeparator()
        self.measure_action = menu.addAction("Measure this computer again")
        self.measure_action.triggered.connect(self.start_measuring)
        self.setMenu(menu)
        self._show()
        if not self.measurement:
            self.start_measuring()

    def _radio_actions(
        self, menu: QMenu, texts: dict[str, str], choose: Callable[[str], None]
    ) -> dict[str, QAction]:
        group = QActionGroup(self)
        actions: dict[str, QAction] = {}
        for key, text in texts.items():
            action = menu.addAction(text)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, key=key: choose(key))
            group.addAction(action)
            actions[key] = action
        return actions

    @property
    def codec(self) -> str:
        """The chosen codec (VP8 when the settings hold an unknown one)."""
        return self.settings.video_codec if self.settings.video_codec in CODECS else "vp8"

    @property
    def measurement(self) -> dict[str, float]:
        return output_quality.cleaned(self.settings.output_measured)

    @property
    def quality(self) -> OutputMode:
        """What the next broadcast publishes at most (Auto resolved on this computer)."""
        return output_quality.resolve(self.settings.output_quality, self.measurement)

    def _choose(self, codec: str) -> None:
        self.settings.video_codec = codec
        self._show()

    def _choose_quality(self, key: str) -> None:
        self.settings.output_quality = key
        self._show()

    def start_measuring(self) -> None:
        if self.measuring is None:
            self.measuring = 0.0
            self._show()
            self.tasks.spawn(self.measure(), "Measuring this computer")

    async def measure(self) -> None:
        """Time the effects and the encoder at each size off the UI thread, then keep it."""
        loop = asyncio.get_running_loop()
        abandoned = threading.Event()

        def progress(fraction: float) -> None:  # called on the measuring thread
            if abandoned.is_set():  # closing the studio: stop between frames, not minutes on
                raise MeasurementAbandoned
            loop.call_soon_threadsafe(self._progress, fraction)

        try:
            run = functools.partial(
                output_quality.measure,
                await self._frame(),
                self.chain.copies(),
                self.codec,
                on_progress=progress,
            )
            self.settings.output_measured = await loop.run_in_executor(None, run)
        except asyncio.CancelledError:
            abandoned.set()
            raise
        finally:
            self.measuring = None
            self._show()
        self.toasts.show_toast(
            "Measured this computer",
            f"Auto publishes {output_quality.auto_choice(self.measurement).label} here.",
            kind="info",
            ms=3000,
        )

    async def _frame(self) -> Image:
        """A frame from the source as it enters the effects (waits for the first one)."""
        while (pair := self.chain.last_pair) is None:
            await asyncio.sleep(FRAME_WAIT_S)
        return pair[0]

    def _progress(self, fraction: float) -> None:
        if self.measuring is not None:
            self.measuring = fraction
            self._show()

    def _show(self) -> None:
        measurement, codec = self.measurement, self.codec
        for key, action in self.choices.items():
            action.setChecked(key == codec)
        chosen = output_quality.applies(self.settings.output_quality, measurement)
        for key, action in self.qualities.items():
            action.setChecked(key == chosen)
            text, usable = self._quality_text(key, measurement)
            action.setText(text)
            action.setEnabled(usable)
        self.measure_action.setEnabled(self.measuring is None)
        if self.measuring is not None:
            shown = f"Measuring {self.measuring:.0%}"
        else:
            shown = ("Auto " if chosen == AUTO else "") + self.quality.key
        self.setText(f"{CODEC_CHOICES[codec][0]} · {shown}")

    def _quality_text(self, key: str, measurement: dict[str, float]) -> tuple[str, bool]:
        if key == AUTO:
            if self.measuring is not None:
                return f"Auto — measuring this computer… {self.measuring:.0%}", True
            picked = output_quality.auto_choice(measurement).label
            return f"Auto — {picked} {'here' if measurement else 'until measured'}", True
        mode = BY_KEY[key]
        if mode not in output_quality.offered(measurement):
            why = "too heavy for this computer" if measurement else "not measured yet"
            return f"{mode.label} — {why}", False
        cost = measurement.get(key)
        spent = f"  ({cost:.0f} of {mode.budget_ms:.0f} ms a frame)" if cost is not None else ""
        if measurement and not output_quality.fits(mode, measurement):
            return f"{mode.label} — too heavy for this computer{spent}", True
        return f"{mode.label}{spent}", True


class GoLive(QPushButton):
    """The toolbar's Go Live / End button: commands the broadcast engine's live output."""

    live_changed = Signal(bool)  # the broadcast started (True) or ended

    def __init__(
        self,
        parts: PanelParts,
        broadcast: Broadcast,
        settings: StudioSettings,
    ) -> None:
        super().__init__("Go Live")
        self.broadcast = broadcast
        self.account = parts.account  # the signed-in session: where to publish, as whom
        self.tasks = parts.tasks
        self.toasts = parts.toasts
        self.reporter: StatsReporter | None = None  # the link's numbers for the backend
        self.viewers: ViewerCount | None = None
        self.health = HealthStrip()
        self.output_menu = OutputMenu(settings, broadcast.chain, parts.tasks, parts.toasts)
        self.keep_up = KeepUpWatch()
        self.keep_up_banner = KeepUpBanner()
        self._warned = False
        self._unreport: Callable[[], None] = lambda: None
        # Asked when Go Live is pressed, before anything starts; an answer of False cancels
        # (the Audience panel asks the live's title and category).
        self.questions: list[Callable[[], bool]] = []
        # Run before publishing (the Audience panel sends the live's title and category).
        self.before_live: list[Callable[[], Awaitable[None]]] = []
        self.setProperty("role", "live")
        self.setToolTip("Start or end the broadcast (Ctrl+L)")
        self.setShortcut("Ctrl+L")
        self.setEnabled(False)
        self.clicked.connect(self._clicked)
        self.keep_up_banner.lower_quality.connect(self.lower_quality)
        self.keep_up_banner.effects_off.connect(self.effects_off)
        self.broadcast.status_changed.add(self._status)
        self.broadcast.live_changed.add(self._show_live)
        parts.signals.signed_in.connect(self._signed_in)
        parts.signals.resynced.connect(self._resynced)

    @property
    def live(self) -> bool:
        return self.broadcast.live

    @property
    def publisher(self) -> Publisher | None:
        return self.broadcast.publisher

    def end_question(self) -> str:
        """What ending now would end ("" when not live)."""
        return "You're live — end the stream? Your viewers will see it end." if self.live else ""

    def _signed_in(self, user: Account | None) -> None:
        self.setEnabled(user is not None)
        if user is None and self.live:
            self.tasks.spawn(self.stop())

    def _resynced(self) -> None:
        if self.viewers is not None:  # viewers came or went while the event link was down
            self.tasks.spawn(self.viewers.refresh())

    def _clicked(self) -> None:
        if not self.live:
            if all(ask() for ask in self.questions):
                self.tasks.spawn(self.start(), "Going live")
        elif confirm(self, "End the stream", self.end_question(), "End stream"):
            self.tasks.spawn(self.stop(), "Ending the stream")

    async def start(self) -> None:
        session = self.account
        if session.user is None or self.broadcast.program is None:
            return
        config = await media_config(session.api)
        if self.live:  # a second click while we asked
            return
        url = media_url(session.api.base_url, config.whip, session.user.username)
        self.keep_up.reset()
        if session.events is not None:
            self.reporter = StatsReporter(session.events, session.user.username)
            self._unreport = self.broadcast.status_changed.add(self.reporter)
            self.viewers = ViewerCount(
                session.api, session.events, session.user.username, self.health.show_viewers
            )
            self.tasks.spawn(self.viewers.refresh())
        for prepare in self.before_live:
            await prepare()
        await self.broadcast.go_live(
            LiveTarget(url, session.api.token, ice_servers(config)),
            codec=self.output_menu.codec,
            output=self.output_menu.quality,
        )

    async def stop(self) -> None:
        reporter, self.reporter = self.reporter, None
        viewers, self.viewers = self.viewers, None
        if viewers is not None:
            viewers.close()
        if reporter is not None:
            self._unreport()
            await reporter.close()
        if self.live:
            await self.broadcast.end()
            self.toasts.show_toast("Stream ended", kind="info", ms=2500)

    def _show_live(self, live: bool) -> None:
        self.setText("End stream" if live else "Go Live")
        self.output_menu.setEnabled(not live)  # codec and quality hold for a whole broadcast
        if not live:
            self.health.end_broadcast()
            self.keep_up_banner.hide()
        self.setProperty("live", live)
        theme.restyle(self)
        self.live_changed.emit(live)

    # ---- keeping up ---------------------------------------------------------------
    def lower_quality(self) -> None:
        """One step down for the rest of this broadcast (the setting stays as chosen)."""
        publisher = self.publisher
        if publisher is None or publisher.output is None:
            return
        lower = output_quality.step_down(publisher.output, publisher.quality.level)
        if lower is None:
            return
        self.broadcast.lower_output(lower)
        self._relieved(f"Publishing at most {lower.label} for the rest of this broadcast.")

    def effects_off(self) -> None:
        self.broadcast.chain.switch_all_off()
        self._relieved("All video effects are off; switch them back on in the Effects panel.")

    def _relieved(self, detail: str) -> None:
        self.keep_up_banner.hide()
        self.keep_up.reset()  # a new episode starts from what the action changed
        self.toasts.show_toast("Lighter load", detail, kind="info", ms=3500)

    def _watch_keep_up(self, status: PublisherStatus) -> None:
        publisher = self.publisher
        if publisher is None or status.state is not PublisherState.LIVE:
            return
        source_fps = self.broadcast.flow.source.fps if self.broadcast.flow is not None else 0.0
        target = min(status.level.fps, source_fps or status.level.fps)
        change = self.keep_up.update(status.fps, target)
        if change is KeepUp.STRUGGLING:
            can_lower = publisher.output is not None and (
                output_quality.step_down(publisher.output, publisher.quality.level) is not None
            )
            self.keep_up_banner.show_struggling(can_lower, bool(self.broadcast.chain.enabled))
        elif change is KeepUp.RECOVERED:
            self.keep_up_banner.hide()

    def _status(self, status: PublisherStatus) -> None:
        self.health.show_status(status, self.publisher.codec if self.publisher else "")
        self._watch_keep_up(status)
        degraded = status.state is PublisherState.LIVE and (
            status.loss_pct >= WARN_LOSS_PCT
            or (status.rtt_ms is not None and status.rtt_ms >= WARN_RTT_MS)
        )
        if degraded and not self._warned:
            self.toasts.show_toast(
                "Connection degrading",
                f"Loss {status.loss_pct:.1f}%; quality lowered to {status.level.label}.",
                kind="warning",
            )
        if status.state is PublisherState.FAILED:
            self.toasts.show_toast("Could not go live", status.error, kind="error")
        self._warned = degraded
