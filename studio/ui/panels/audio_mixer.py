"""Audio mixer dock: one strip per channel of the broadcast's mixer (the voice, each media
file of the scenes), with a level meter, a fader and a mute button built from the channel's
declared parameters, and the mix's meter below.

The strips follow the mixer's channels as media sources come and go. While the dock is in view
(:meth:`AudioMixerPanel.set_shown`) the mix runs even when nothing is live or recording, so
the meters move before going live.
Volumes and mutes are saved in the settings.
"""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSlider, QVBoxLayout, QWidget

from studio.core.mixer import FLOOR_DB, AudioMixer, Channel, Levels, percent_of
from studio.core.settings_store import StudioSettings
from studio.ui import theme
from studio.ui.user_text import PlainLabel, button_text, plain_tip
from studio.ui.widgets import Card, dim, section, vertical_scroll

NOTE: Final = (
    "A media file is heard while a layer of it is on air. Each meter shows what its source "
    "adds to the mix, after the fader and mute."
)
METER_MS: Final = 50  # meters redraw 20 times a second
METER_LOW_DB: Final = -60.0  # the left end of a meter
LOUD_DB: Final = -18.0  # yellow from here
HOT_DB: Final = -6.0  # red from here


def meter_fraction(db: float) -> float:
    """Where ``db`` sits on a meter, 0 (left) to 1 (0 dBFS)."""
    return min(1.0, max(0.0, (db - METER_LOW_DB) / -METER_LOW_DB))


def volume_text(volume_db: float) -> str:
    if percent_of(volume_db) == 0.0:
        return "off"
    return f"{volume_db:+.1f} dB · {percent_of(volume_db):.0f} %"


class LevelMeter(QWidget):
    """A horizontal meter: the RMS as a bar (green, yellow, red zones), the peak as a line."""

    def __init__(self) -> None:
        super().__init__()
        self.levels = Levels()
        self.setMinimumHeight(10)

    def sizeHint(self) -> QSize:
        return QSize(160, 10)

    def show_levels(self, levels: Levels) -> None:
        if levels != self.levels:
            self.levels = levels
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        width, height = float(self.width()), float(self.height())
        painter.fillRect(QRectF(0, 0, width, height), QColor(theme.BORDER))
        rms = meter_fraction(self.levels.rms_db) * width
        for low, high, colour in (
            (METER_LOW_DB, LOUD_DB, theme.SUCCESS),
            (LOUD_DB, HOT_DB, theme.WARNING),
            (HOT_DB, 0.0, theme.DANGER),
        ):
            left, right = meter_fraction(low) * width, min(rms, meter_fraction(high) * width)
            if right > left:
                painter.fillRect(QRectF(left, 0, right - left, height), QColor(colour))
        if self.levels.peak_db > FLOOR_DB:
            peak = meter_fraction(self.levels.peak_db) * width
            painter.fillRect(QRectF(max(0.0, peak - 2), 0, 2, height), QColor(theme.TEXT))
        painter.end()


class ChannelStrip(Card):
    """One channel: its name, meter, fader and mute, from its declared parameters."""

    def __init__(self, mixer: AudioMixer, channel: Channel) -> None:
        super().__init__()
        self.mixer = mixer
        self.channel_id = channel.id
        described = channel.describe()
        self.name = PlainLabel(described["name"])
        self.meter = LevelMeter()
        self.problem = dim()  # why the channel gives silence (a file without sound, ...)
        self.problem.setStyleSheet(f"color: {theme.WARNING};")
        self.problem.hide()
        self.body.addWidget(self.name)
        self.body.addWidget(self.meter)
        self.body.addWidget(self.problem)
        controls = QHBoxLayout()
        self.body.addLayout(controls)
        self.fader: QSlider | None = None
        self.readout = dim()
        self.mute: QPushButton | None = None
        for spec in described["parameters"]:
            if spec["type"] == "float":
                self.fader = self._fader(spec)
                controls.addWidget(self.fader, 1)
                controls.addWidget(self.readout)
            elif spec["type"] == "bool":
                self.mute = self._toggle(spec)
                controls.addWidget(self.mute)
        self.show_values(channel)

    def _fader(self, spec: dict[str, Any]) -> QSlider:
        fader = QSlider(Qt.Orientation.Horizontal)
        low, high, step = float(spec["min"]), float(spec["max"]), float(spec["step"])
        fader.setRange(0, round((high - low) / step))
        fader.setPageStep(round(6.0 / step))  # 6 dB a page
        fader.setAccessibleName(f"{self.name.text()} {spec['label'].lower()}")
        fader.valueChanged.connect(
            lambda position: self.mixer.set_volume(self.channel_id, low + position * step)
        )
        fader.setProperty("low", low)
        fader.setProperty("step", step)
        return fader

    def _toggle(self, spec: dict[str, Any]) -> QPushButton:
        button = QPushButton(button_text(spec["label"]))
        button.setCheckable(True)
        button.setToolTip(plain_tip(f"{spec['label']} {self.name.text()}"))
        button.toggled.connect(lambda on: self.mixer.set_muted(self.channel_id, on))
        return button

    def show_values(self, channel: Channel) -> None:
        """Show ``channel``'s name and values (without sending them back to the mixer)."""
        self.name.setText(channel.name)
        volume = channel.number("volume")
        if self.fader is not None:
            low, step = float(self.fader.property("low")), float(self.fader.property("step"))
            self.fader.blockSignals(True)
            self.fader.setValue(round((volume - low) / step))
            self.fader.blockSignals(False)
        self.readout.setText(volume_text(volume))
        if self.mute is not None:
            self.mute.blockSignals(True)
            self.mute.setChecked(channel.flag("muted"))
            self.mute.blockSignals(False)
        self.show_problem(channel.status)

    def show_problem(self, problem: str) -> None:
        if problem != self.problem.text():
            self.problem.setText(problem)
            self.problem.setVisible(bool(problem))


class AudioMixerPanel(QWidget):
    def __init__(self, *, mixer: AudioMixer, settings: StudioSettings) -> None:
        super().__init__()
        self.mixer = mixer
        self.settings = settings
        mixer.restore(settings.audio_mix)
        self.strips: dict[str, ChannelStrip] = {}
        self.list = QVBoxLayout()
        self.list.setSpacing(8)
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(section("Sources"))
        column.addLayout(self.list)
        column.addWidget(section("Mix"))
        self.master = LevelMeter()
        self.master.setAccessibleName("Mix level")
        mix = Card()  # inset like the strips above
        mix.body.addWidget(self.master)
        mix.body.addWidget(dim(NOTE))
        column.addWidget(mix)
        column.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(vertical_scroll(page))
        self.timer = QTimer(self)
        self.timer.setInterval(METER_MS)
        self.timer.timeout.connect(self.refresh_meters)
        self._holding = False
        self._unwatch = [
            mixer.channels_changed.add(lambda _: self.rebuild()),
            mixer.values_changed.add(self._values_changed),
        ]
        self.rebuild()

    def rebuild(self) -> None:
        """One strip per channel, in the mixer's order (strips of kept channels stay)."""
        channels = self.mixer.channels
        for channel_id in set(self.strips) - {c.id for c in channels}:
            gone = self.strips.pop(channel_id)
            self.list.removeWidget(gone)
            gone.deleteLater()
        for index, channel in enumerate(channels):
            if channel.id not in self.strips:
                self.strips[channel.id] = ChannelStrip(self.mixer, channel)
            strip = self.strips[channel.id]
            self.list.insertWidget(index, strip)
            strip.show_values(channel)

    def _values_changed(self, channel_id: str) -> None:
        strip = self.strips.get(channel_id)
        if strip is not None:
            strip.show_values(self.mixer.channel(channel_id))
        self.settings.audio_mix = self.mixer.values()

    def refresh_meters(self) -> None:
        for channel_id, strip in self.strips.items():
            channel = self.mixer.channel(channel_id)
            strip.meter.show_levels(channel.meter.levels)
            strip.show_problem(channel.status)
        self.master.show_levels(self.mixer.meter.levels)

    def set_shown(self, shown: bool) -> None:
        """The dock came into view (its tab picked) or went out of it: the meters run, and
        keep the mix running, only while it is seen."""
        if shown:
            self.timer.start()
        else:
            self.timer.stop()
        if shown != self._holding:
            self._holding = shown
            (self.mixer.hold if shown else self.mixer.release)()

    async def shutdown(self) -> None:
        for unwatch in self._unwatch:
            unwatch()
        self.timer.stop()
        if self._holding:
            self._holding = False
            self.mixer.release()
