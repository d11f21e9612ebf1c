"""Outputs dock: where the show goes besides the OnAir page, and the recording.

The OnAir stream (WHIP) heads the list with the broadcast's state. Each other destination
(YouTube, Twitch, TikTok, Facebook, Kick, a custom RTMP(S) or SRT server) is a card with its
own on/off switch and its live status (connecting / live with bitrate, dropped frames and
uptime / reconnecting in N s / the server's error). Its form is built from the declared
parameters (``studio.core.destinations.DESTINATION_PARAMS``) like an effect's controls; the
stream key is typed into a masked field and kept in the key store, never in the settings.
The recording section has the record button, the indicator (duration and size) and the
recording's own form. The panel commands :class:`studio.core.output_deck.OutputDeck` and
builds no output itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from filters.params import Param, ParamError
from studio.core.broadcast import Broadcast
from studio.core.destinations import (
    DESTINATION_PARAMS,
    PRESET_BY_ID,
    PRESETS,
    Destination,
    load_destinations,
)
from studio.core.output_deck import OutputDeck
from studio.core.output_params import RECORDING_PARAMS, recording_plan, validate
from studio.core.output_wording import describe_output, describe_recording
from studio.core.outputs import OutputState
from studio.core.protocols import NO_SRT, output_protocols
from studio.core.publisher import PublisherStatus
from studio.core.recorder import RecordingStatus
from studio.core.settings_store import StudioSettings
from studio.core.stream_key_store import key_store
from studio.core.stream_output import OutputStatus
from studio.ui import theme
from studio.ui.param_controls import ParamControl, control_for
from studio.ui.parts import PanelParts
from studio.ui.user_text import PlainLabel
from studio.ui.widgets import Card, ElidedLabel, dim, role_button, section, vertical_scroll

STATE_COLOURS = {
    OutputState.LIVE: theme.SUCCESS,
    OutputState.CONNECTING: theme.WARNING,
    OutputState.RECONNECTING: theme.WARNING,
    OutputState.FAILED: theme.DANGER,
}


def coloured(label: PlainLabel, state: OutputState) -> None:
    label.setStyleSheet(f"color: {STATE_COLOURS.get(state, theme.TEXT_DIM)};")


def param_form(
    params: tuple[Param, ...], values: dict[str, Any]
) -> tuple[QFormLayout, dict[str, ParamControl]]:
    """A form with one control per declared parameter, set to ``values``."""
    form = QFormLayout()
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow docks: stacked
    controls: dict[str, ParamControl] = {}
    for param in params:
        spec = param.describe()
        control = controls[param.name] = control_for(spec, values.get(param.name, param.default))
        form.addRow(PlainLabel(spec["label"]), control)
    return form, controls


class DestinationDialog(QDialog):
    """Edit one destination: its declared parameters, and its key in a masked field."""

    def __init__(self, destination: Destination, has_key: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.destination = destination
        self.setWindowTitle(f"{destination.name} — destination")
        self.values: dict[str, Any] = dict(destination.values)
        self.key: str | None = None  # None: keep the stored key
        column = QVBoxLayout(self)
        form, self.controls = param_form(DESTINATION_PARAMS, self.values)
        for name, control in self.controls.items():
            control.changed.connect(lambda value, name=name: self.values.__setitem__(name, value))
        self.key_field = QLineEdit()
        self.key_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_field.setPlaceholderText(
            "stored — type to replace" if has_key else "paste it here"
        )
        self.reveal = QPushButton("Show")
        self.reveal.setCheckable(True)
        self.reveal.toggled.connect(self._reveal)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_field, 1)
        key_row.addWidget(self.reveal)
        form.addRow(PlainLabel("Stream key"), key_row)
        column.addLayout(form)
        column.addWidget(dim(PRESET_BY_ID[destination.preset].hint))
        self.error = dim()
        self.error.setStyleSheet(f"color: {theme.DANGER};")
        self.error.hide()
        column.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)

    def _reveal(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.key_field.setEchoMode(mode)
        self.reveal.setText("Hide" if shown else "Show")

    def _save(self) -> None:
        try:
            self.destination = self.destination.with_values(**self.values)
        except ParamError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        typed = self.key_field.text().strip()
        self.key = typed or None
        self.accept()


class DestinationCard(Card):
    """One destination: on/off, name, live status, edit and remove."""

    def __init__(self, panel: OutputsPanel, destination: Destination) -> None:
        super().__init__()
        self.panel = panel
        self.destination_id = destination.id
        column = self.body
        column.setSpacing(4)
        top = QHBoxLayout()
        self.switch = QCheckBox()
        self.switch.setToolTip("On: streams there whenever you are live")
        self.switch.toggled.connect(self._switched)
        self.name = ElidedLabel()
        self.name.setStyleSheet("font-weight: 600;")
        self.setting = ElidedLabel()
        self.setting.setProperty("dim", True)
        edit = role_button("Edit", "link")
        edit.clicked.connect(lambda: panel.edit(self.destination_id))
        remove = role_button("Remove", "link")
        remove.clicked.connect(lambda: panel.remove(self.destination_id))
        top.addWidget(self.switch)
        top.addWidget(self.name, 1)
        top.addWidget(edit)
        top.addWidget(remove)
        column.addLayout(top)
        column.addWidget(self.setting)
        self.status = PlainLabel()
        self.status.setWordWrap(True)
        column.addWidget(self.status)
        self.show_destination(destination)

    def show_destination(self, destination: Destination) -> None:
        self.switch.blockSignals(True)
        self.switch.setChecked(destination.enabled)
        self.switch.blockSignals(False)
        self.name.setText(destination.name)
        self.setting.setText(
            f"{destination.server or 'no server yet'} · {destination.setting.describe()}"
        )

    def show_status(self, status: OutputStatus, enabled: bool) -> None:
        self.status.setText(describe_output(status, enabled=enabled))
        coloured(self.status, status.state)

    def _switched(self, on: bool) -> None:
        self.panel.switch(self.destination_id, on)


class OutputsPanel(QWidget):
    def __init__(self, parts: PanelParts, *, deck: OutputDeck, settings: StudioSettings) -> None:
        super().__init__()
        self.parts = parts
        self.deck = deck
        self.settings = settings
        self.cards: dict[str, DestinationCard] = {}
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(section("OnAir"))
        self.whip = PlainLabel()
        column.addWidget(self.whip)
        column.addWidget(section("Other platforms"))
        self.list = QVBoxLayout()
        column.addLayout(self.list)
        column.addLayout(self._add_row())
        keys_place = ElidedLabel(f"Stream keys are kept in {deck.keys.where}.")
        keys_place.setProperty("dim", True)
        column.addWidget(keys_place)
        if "srt" not in output_protocols():
            column.addWidget(dim(NO_SRT))
        column.addWidget(section("Recording"))
        column.addLayout(self._recording_row())
        self.folder = ElidedLabel()
        self.folder.setProperty("dim", True)
        column.addLayout(self._folder_row())
        form, self.recording_controls = param_form(RECORDING_PARAMS, self._recording_values())
        for name, control in self.recording_controls.items():
            control.changed.connect(lambda value, name=name: self._recording_changed(name, value))
        column.addLayout(form)
        column.addStretch()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(vertical_scroll(page))
        self.setMinimumWidth(340)
        for destination in deck.destinations:
            self._add_card(destination)
        deck.changed.add(self._destinations_changed)
        deck.status_changed.add(self._status_changed)
        deck.recording_changed.add(self._show_recording)
        deck.broadcast.status_changed.add(self._show_whip)
        deck.broadcast.live_changed.add(lambda live: self._show_whip(None))
        self._show_whip(None)
        self._show_folder()

    # ---- the OnAir stream -------------------------------------------------------------
    def _show_whip(self, status: PublisherStatus | None) -> None:
        broadcast = self.deck.broadcast
        state = broadcast.state.value
        text = "Live on your OnAir page" if state == "live" else f"OnAir page: {state}"
        if status is not None and status.error:
            text += f" — {status.error}"
        self.whip.setText(text)
        coloured(self.whip, OutputState(state))  # the broadcast's states are output states

    # ---- destinations -----------------------------------------------------------------
    def _add_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.presets = QComboBox()
        for preset in PRESETS:
            self.presets.addItem(preset.name, preset.id)
        add = role_button("Add", "primary")
        add.clicked.connect(self.add)
        row.addWidget(self.presets, 1)
        row.addWidget(add)
        return row

    def add(self) -> None:
        """Open the form of a new destination of the chosen preset; it is added when saved
        (Cancel leaves no destination behind)."""
        destination = Destination.from_preset(str(self.presets.currentData()))
        self._open_form(destination, has_key=False, new=True)

    def edit(self, destination_id: str) -> None:
        destination = self.deck.find(destination_id)
        self._open_form(destination, bool(self.deck.keys.get(destination_id)), new=False)

    def _open_form(self, destination: Destination, has_key: bool, *, new: bool) -> None:
        dialog = DestinationDialog(destination, has_key, self)
        dialog.finished.connect(lambda result: self._edited(dialog, result, new))
        dialog.open()
        self.dialog = dialog

    def _edited(self, dialog: DestinationDialog, result: int, new: bool) -> None:
        if result != QDialog.DialogCode.Accepted:
            return
        if new:
            self.deck.add(dialog.destination, dialog.key or "")
        else:
            self.parts.tasks.spawn(self.deck.update(dialog.destination, dialog.key), "Saving")

    def remove(self, destination_id: str) -> None:
        self.parts.tasks.spawn(self.deck.remove(destination_id), "Removing the destination")

    def switch(self, destination_id: str, on: bool) -> None:
        self.parts.tasks.spawn(self.deck.set_enabled(destination_id, on), "Switching it")

    def _destinations_changed(self, destinations: list[Destination]) -> None:
        self.settings.destinations = [d.to_dict() for d in destinations]
        ids = {d.id for d in destinations}
        for gone in set(self.cards) - ids:
            self.cards.pop(gone).deleteLater()
        for destination in destinations:
            card = self.cards.get(destination.id)
            if card is None:
                self._add_card(destination)
            else:
                card.show_destination(destination)
                card.show_status(self.deck.status(destination.id), destination.enabled)

    def _add_card(self, destination: Destination) -> None:
        card = self.cards[destination.id] = DestinationCard(self, destination)
        card.show_status(self.deck.status(destination.id), destination.enabled)
        self.list.addWidget(card)

    def _status_changed(self, change: tuple[str, OutputStatus]) -> None:
        destination_id, status = change
        card = self.cards.get(destination_id)
        if card is not None:
            card.show_status(status, self.deck.find(destination_id).enabled)

    # ---- recording --------------------------------------------------------------------
    def _recording_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.record = role_button("Record", "live")
        self.record.clicked.connect(self.toggle_recording)
        self.indicator = PlainLabel("Not recording")
        self.indicator.setWordWrap(True)
        row.addWidget(self.record)
        row.addWidget(self.indicator, 1)
        return row

    def _folder_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        change = QPushButton("Change…")
        change.clicked.connect(self._choose_folder)
        row.addWidget(self.folder, 1)
        row.addWidget(change)
        return row

    def toggle_recording(self) -> None:
        if self.deck.recording:
            self.parts.tasks.spawn(self.deck.stop_recording(), "Stopping the recording")
        else:
            self.parts.tasks.spawn(self._start_recording(), "Recording")

    async def _start_recording(self) -> None:
        try:
            await self.deck.start_recording()
        except (RuntimeError, OSError) as exc:  # no source yet, a folder it cannot write
            self.parts.toasts.show_toast(
                "Recording", f"Could not start recording: {exc}", kind="error"
            )

    def _show_recording(self, status: RecordingStatus) -> None:
        recording = status.state is OutputState.LIVE
        self.record.setText("Stop recording" if recording else "Record")
        self.record.setProperty("live", recording)
        theme.restyle(self.record)
        self.indicator.setText(describe_recording(status))
        alarming = recording or status.state is OutputState.FAILED  # REC is red, as a lamp
        self.indicator.setStyleSheet(f"color: {theme.DANGER if alarming else theme.TEXT_DIM};")
        if status.state is OutputState.FAILED and status.message:
            self.parts.toasts.show_toast("Recording stopped", status.message, kind="error")

    def _recording_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.settings.recording.items() if k != "folder"}

    def _recording_changed(self, name: str, value: object) -> None:
        saved = {**self.settings.recording, name: value}
        try:
            validate(RECORDING_PARAMS, {k: v for k, v in saved.items() if k != "folder"})
        except ParamError as exc:
            self.parts.toasts.show_toast("Recording", str(exc))
            return
        self.settings.recording = saved
        self.deck.plan = recording_plan(saved)  # from the next recording on

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Recordings folder", str(self.deck.plan.folder)
        )
        if chosen:
            self.set_recordings_folder(chosen)

    def set_recordings_folder(self, folder: str) -> None:
        """Record into ``folder`` from the next recording on (saved with the settings)."""
        self._recording_changed("folder", folder)
        self._show_folder()

    def _show_folder(self) -> None:
        self.folder.setText(f"Saved in {self.deck.plan.folder}")

    async def shutdown(self) -> None:
        await self.deck.close()


def output_deck(broadcast: Broadcast, settings: StudioSettings, config_folder: Path) -> OutputDeck:
    """The deck for the saved destinations and recording setup (keys: the key store)."""
    return OutputDeck(
        broadcast,
        key_store(config_folder),
        load_destinations(settings.destinations),
        recording_plan(settings.recording),
    )
