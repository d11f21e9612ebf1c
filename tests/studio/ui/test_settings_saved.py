"""Settings reach the disk while the studio runs (a crash keeps the setup), and a damaged
settings file is set aside with a message instead of stopping the studio."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.core.settings_store import SettingsStore, StudioSettings
from studio.ui.go_live import OutputMenu
from studio.ui.panels.effects import EffectsPanel
from studio.ui.param_controls import NumberControl
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory

WAIT = 15_000


def _on_disk(store: SettingsStore) -> StudioSettings:
    return SettingsStore(store.path.parent).load()


def test_changes_are_on_disk_while_the_window_stays_open(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window = studio(server.url, config="running")
    store = window.session.store
    panel = window.docks["effects"].widget()
    assert isinstance(panel, EffectsPanel)

    card = panel.cards["beauty.brighten"]
    card.enable.setChecked(True)
    slider = card.controls["amount"]
    assert isinstance(slider, NumberControl)
    slider.slider.setValue(slider.slider.maximum())
    assert window.saver.pending  # written a moment later, not on every slider step
    qtbot.waitUntil(
        lambda: _on_disk(store).effects.get("beauty.brighten", {}).get("amount") == 100.0,
        timeout=WAIT,
    )
    assert "beauty.brighten" in _on_disk(store).enabled_effects

    output = window.findChild(OutputMenu)
    assert isinstance(output, OutputMenu)
    output.choices["h264"].trigger()
    output.qualities["480p30"].trigger()
    window.compare_button.click()  # before/after
    qtbot.waitUntil(lambda: _on_disk(store).compare, timeout=WAIT)
    assert _on_disk(store).video_codec == "h264" and _on_disk(store).output_quality == "480p30"

    before = _on_disk(store).window_state
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.docks["pk"])
    qtbot.waitUntil(lambda: _on_disk(store).window_state != before, timeout=WAIT)
    assert window.isVisible()  # nothing was closed: the file was written as things changed

    # What a crash right now would leave: a second run from that file has the new layout.
    again = studio(server.url, config="running")
    assert again.dockWidgetArea(again.docks["pk"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert again.settings.effects["beauty.brighten"]["amount"] == 100.0


def test_a_damaged_settings_file_is_set_aside_with_a_message(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    first = studio(server.url, config="damaged")
    first.close()
    assert not first.saver.pending  # closing wrote the file; hiding the docks is no change
    store = first.session.store
    store.path.write_bytes(b"\x00\x00\x00 half a file")  # a power cut mid-write, old style

    window = studio(server.url, config="damaged")
    assert window.settings == StudioSettings()
    notice = window.findChild(QMessageBox, "settings-set-aside")
    assert isinstance(notice, QMessageBox)
    qtbot.waitUntil(notice.isVisible, timeout=WAIT)
    aside = list(store.path.parent.glob("studio.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"\x00\x00\x00 half a file"
    assert "damaged" in notice.text() and str(aside[0]) in notice.text()
    assert "starting with the default settings" in notice.text()
    assert notice.textFormat() == Qt.TextFormat.PlainText
    notice.close()
