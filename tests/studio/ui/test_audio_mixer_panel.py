"""The Audio mixer dock in a real studio window: a strip per channel built from the channel's
declared parameters (the voice, then each media source of the scenes as it comes and goes),
the fader and mute driving the broadcast's mixer, meters that move while the dock is shown,
and volumes that come back in the next run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from pytestqt.qtbot import QtBot

from studio.core.mixer import FLOOR_DB, SILENT_DB, VOICE
from studio.core.scenes.model import Transform
from studio.ui.main_window import MainWindow
from studio.ui.panels.audio_mixer import AudioMixerPanel, meter_fraction, volume_text
from tests.servers import LiveServer
from tests.studio.core.test_mixer_outputs import tone_clip
from tests.studio.ui.conftest import StudioFactory

WAIT = 15_000


def mixer_dock(window: MainWindow, qtbot: QtBot) -> AudioMixerPanel:
    panel = window.docks["mixer"].widget()
    assert isinstance(panel, AudioMixerPanel)
    qtbot.waitUntil(lambda: window.broadcast.scenes is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: window.broadcast.spec == "sample", timeout=WAIT)
    return panel


def test_the_mixer_dock_drives_the_mix_and_keeps_its_values(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    window = studio(server.url, config="mixer")
    panel = mixer_dock(window, qtbot)
    mixer = window.broadcast.mixer
    assert not mixer.running  # tabbed away at first: no microphone is opened for it
    window.docks["mixer"].raise_()  # its tab picked
    qtbot.waitUntil(lambda: mixer.running, timeout=WAIT)

    # The voice's strip, built from the declared volume (dB) and mute parameters.
    assert list(panel.strips) == [VOICE]
    voice = panel.strips[VOICE]
    assert voice.name.text() == "Sample tone"
    assert voice.fader is not None and voice.mute is not None
    assert (voice.fader.minimum(), voice.fader.maximum()) == (0, 144)  # -60..+12 dB by 0.5
    assert voice.mute.text() == "Mute"

    # Shown, the dock keeps the mix running: the sample tone (0.2 = -14 dBFS) moves the meters.
    qtbot.waitUntil(lambda: voice.meter.levels.peak_db > -20, timeout=WAIT)
    assert voice.meter.levels.peak_db == mixer.levels(VOICE).peak_db
    qtbot.waitUntil(lambda: panel.master.levels.peak_db > -20, timeout=WAIT)

    # The fader and the mute reach the mixer (and the settings).
    voice.fader.setValue(voice.fader.maximum() - 36)  # +12 dB - 18 dB = -6 dB
    assert mixer.channel(VOICE).number("volume") == -6.0
    assert voice.readout.text() == volume_text(-6.0) == "-6.0 dB · 50 %"
    qtbot.waitUntil(
        lambda: abs(mixer.levels(VOICE).peak_db - (20 * math.log10(0.2) - 6)) < 0.2,
        timeout=WAIT,
    )
    voice.mute.click()
    assert mixer.channel(VOICE).flag("muted")
    qtbot.waitUntil(lambda: voice.meter.levels.peak_db == FLOOR_DB, timeout=WAIT)
    assert window.settings.audio_mix[VOICE] == {"volume": -6.0, "muted": True}

    # A media source of the scenes gets a strip; changed from elsewhere, the strip follows.
    scenes = window.broadcast.scenes
    assert scenes is not None
    music = scenes.add_source("media", "Music", {"path": str(tone_clip(tmp_path))})
    assert list(panel.strips) == [VOICE, music.id]
    strip = panel.strips[music.id]
    assert strip.name.text() == "Music"
    mixer.set_volume(music.id, SILENT_DB)
    assert strip.fader is not None and strip.fader.value() == 0
    assert strip.readout.text() == "off"
    scenes.rename_source(music.id, "Intro music")
    assert strip.name.text() == "Intro music"
    mixer.set_volume(music.id, -3.0)
    scenes.add_layer(scenes.current, music.id, Transform(760, 40, 480, 270))  # on air now
    qtbot.waitUntil(lambda: strip.meter.levels.peak_db > -40, timeout=WAIT)
    # A file the mixer cannot read says why on its strip.
    gone = scenes.add_source("media", "Gone", {"path": str(tmp_path / "gone.mp4")})
    qtbot.waitUntil(lambda: panel.strips[gone.id].problem.isVisible(), timeout=WAIT)
    assert panel.strips[gone.id].problem.text().startswith("Cannot read the sound of gone.mp4")
    qtbot.wait(200)  # the new strips laid out, for the screenshot
    window.grab().save(str(tmp_path / "window.png"))
    scenes.remove_source(gone.id)
    scenes.remove_source(music.id)
    assert list(panel.strips) == [VOICE]

    # Out of view, the dock lets the mix stop (nothing else uses it); its Ctrl+M action
    # shows or hides it.
    window.docks["pk"].raise_()
    qtbot.waitUntil(lambda: not mixer.running, timeout=WAIT)
    window.docks["mixer"].raise_()
    qtbot.waitUntil(lambda: mixer.running, timeout=WAIT)
    toggle = window.docks["mixer"].toggleViewAction()
    assert toggle.shortcut().toString() == "Ctrl+M"
    toggle.trigger()
    assert window.docks["mixer"].isHidden()
    qtbot.waitUntil(lambda: not mixer.running, timeout=WAIT)
    toggle.trigger()
    assert not window.docks["mixer"].isHidden()

    window.close()
    again = studio(server.url, config="mixer")
    restored = mixer_dock(again, qtbot).strips[VOICE]
    assert again.broadcast.mixer.channel(VOICE).values == {"volume": -6.0, "muted": True}
    assert restored.mute is not None and restored.mute.isChecked()
    assert restored.readout.text() == "-6.0 dB · 50 %"


def test_a_meter_places_levels_from_minus_60_to_0_dbfs() -> None:
    assert [meter_fraction(db) for db in (FLOOR_DB, -60.0, -30.0, 0.0, 6.0)] == [
        0.0,
        0.0,
        0.5,
        1.0,
        1.0,
    ]
    assert np.isclose(meter_fraction(-6.0), 0.9)
