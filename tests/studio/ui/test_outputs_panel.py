"""The Outputs dock in a real studio window: adding a destination from a preset with its key
in a masked field (kept in the key file, never in the settings), going live to the OnAir
backend and to a real nginx RTMP server at once, switching the destination off and on while
live, and recording with the indicator counting."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from pytestqt.qtbot import QtBot

from bench._rtmp_server import RtmpServer, rtmp_server
from studio.core.outputs import OutputState
from studio.ui.go_live import GoLive
from studio.ui.main_window import MainWindow
from studio.ui.panels.outputs import DestinationDialog, OutputsPanel
from studio.ui.param_controls import ChoiceControl, TextControl
from tests.media_probe import probe
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, make_account
from tests.studio.ui.dialogs import GO_LIVE, answering

WAIT = 30_000
KEY = "live_0123456789_secret"


@pytest.fixture
def rtmp(tmp_path: Path) -> Iterator[RtmpServer]:
    with rtmp_server(tmp_path / "rtmp") as server:
        yield server


def choose(control: object, value: str) -> None:
    assert isinstance(control, ChoiceControl)
    index = control.box.findData(value)
    control.box.setCurrentIndex(index)
    control.box.activated.emit(index)


def type_into(control: object, text: str) -> None:
    assert isinstance(control, TextControl)
    control.edit.setText(text)
    control.edit.editingFinished.emit()


def outputs_dock(window: MainWindow) -> OutputsPanel:
    panel = window.docks["outputs"].widget()
    assert isinstance(panel, OutputsPanel)
    return panel


def new_form(panel: OutputsPanel, preset: str) -> DestinationDialog:
    """The form *Add* opens for a new destination of ``preset``."""
    panel.presets.setCurrentIndex(panel.presets.findData(preset))
    panel.add()
    assert isinstance(panel.dialog, DestinationDialog)
    return panel.dialog


def cancel(dialog: DestinationDialog) -> None:
    buttons = dialog.findChild(QDialogButtonBox)
    assert isinstance(buttons, QDialogButtonBox)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not dialog.isVisible()


def test_a_destination_goes_live_with_the_studio_and_the_recording_counts(
    server: LiveServer,
    studio: StudioFactory,
    qtbot: QtBot,
    rtmp: RtmpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ONAIR_DATA_DIR", str(tmp_path / "data"))  # recordings go there
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)  # as on a box without a keyring
    window = studio(server.url, make_account(server.url))
    panel = outputs_dock(window)
    dialog = new_form(panel, "rtmp")
    type_into(dialog.controls["name"], "My test server")
    type_into(dialog.controls["server"], rtmp.url)
    choose(dialog.controls["resolution"], "640x360")
    choose(dialog.controls["speed"], "ultrafast")
    dialog.key_field.setText(KEY)
    assert dialog.key_field.echoMode() is QLineEdit.EchoMode.Password  # masked...
    dialog.reveal.click()
    assert dialog.key_field.echoMode() is QLineEdit.EchoMode.Normal  # ...until revealed
    dialog.save_button.click()
    [destination] = panel.deck.destinations
    qtbot.waitUntil(lambda: panel.deck.keys.get(destination.id) == KEY, timeout=WAIT)
    destination = panel.deck.find(destination.id)  # as saved
    card = panel.cards[destination.id]
    assert card.name.text() == "My test server"
    assert card.status.text() == "Starts when you go live"

    # The key is in the private key file, not in the settings.
    assert window.settings.destinations == [destination.to_dict()]
    assert KEY not in str(window.settings.to_dict())
    key_file = window.session.store.path.parent / "stream-keys.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and KEY in key_file.read_text()

    go_live = window.toolbar.findChild(GoLive)
    assert isinstance(go_live, GoLive)
    qtbot.waitUntil(lambda: go_live.isEnabled() and window.broadcast.flow is not None, timeout=WAIT)
    with answering(GO_LIVE):
        go_live.click()
    qtbot.waitUntil(lambda: card.status.text().startswith("Live · "), timeout=WAIT)
    qtbot.waitUntil(lambda: "Live on your OnAir page" in panel.whip.text(), timeout=WAIT)
    assert " dropped · 0:00:0" in card.status.text()

    card.switch.click()  # off while live: only this destination stops
    qtbot.waitUntil(lambda: card.status.text() == "Off", timeout=WAIT)
    assert window.broadcast.state.value == "live"
    card.switch.click()
    qtbot.waitUntil(lambda: card.status.text().startswith("Live · "), timeout=WAIT)

    panel.record.click()
    qtbot.waitUntil(lambda: panel.indicator.text().startswith("● REC 0:00:02"), timeout=WAIT)
    assert panel.record.text() == "Stop recording"
    assert panel.indicator.text().endswith((" KB", " MB"))
    panel.record.click()
    qtbot.waitUntil(lambda: panel.indicator.text().startswith("Saved 0:00:0"), timeout=WAIT)
    assert panel.deck.recorder is not None
    [saved] = panel.deck.recorder.status.files
    assert saved.parent == tmp_path / "data" / "recordings" and saved.suffix == ".mp4"
    assert probe(saved).duration > 1.5

    with answering(True):
        go_live.click()
    qtbot.waitUntil(lambda: card.status.text() == "Starts when you go live", timeout=WAIT)
    assert panel.deck.status(destination.id).state is OutputState.STOPPED
    assert rtmp.recorded(KEY), "nothing arrived at the RTMP server"


def test_cancel_in_a_new_destinations_form_leaves_no_destination(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    window = studio(server.url)
    panel = outputs_dock(window)
    dialog = new_form(panel, "twitch")
    type_into(dialog.controls["name"], "Not this one")
    dialog.key_field.setText(KEY)
    cancel(dialog)
    assert panel.deck.destinations == []
    assert panel.cards == {}
    assert window.settings.destinations == []
    assert not panel.deck.keys.get(dialog.destination.id)

    # Saved, it is added; Cancel in the form of an existing one changes nothing.
    saved = new_form(panel, "twitch")
    type_into(saved.controls["name"], "Twitch main")
    saved.save_button.click()
    [destination] = panel.deck.destinations
    assert destination.name == "Twitch main" and list(panel.cards) == [destination.id]
    panel.edit(destination.id)
    editing = panel.dialog
    assert isinstance(editing, DestinationDialog)
    type_into(editing.controls["name"], "Renamed")
    cancel(editing)
    assert panel.deck.destinations == [destination]
    assert panel.cards[destination.id].name.text() == "Twitch main"
