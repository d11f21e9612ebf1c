"""The effects panel: controls generated from the registry, presets, premium unlock via the API."""

from __future__ import annotations

import av
import numpy as np
from pytestqt.qtbot import QtBot

from filters import presets, registry
from filters.audio.voice import VoiceFilter
from filters.base import VideoFilter
from studio.core.audio import FRAME_SAMPLES, SAMPLE_RATE
from studio.ui.panels.effects import EffectsPanel
from studio.ui.param_controls import ColorControl, NumberControl
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, make_account

WAIT = 15_000


def test_controls_presets_and_premium_unlock(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    account = make_account(server.url, coins=1_000)
    window = studio(server.url, account, config="fx")
    panel = window.docks["effects"].widget()
    assert isinstance(panel, EffectsPanel)
    qtbot.waitUntil(lambda: bool(panel.catalog), timeout=WAIT)

    # One card per effect (video and voice), one control per declared parameter.
    videos = [c for c in registry.all_filters() if issubclass(c, VideoFilter)]
    assert set(panel.cards) == set(registry.ids())
    for cls in registry.all_filters():
        assert set(panel.cards[cls.id].controls) == {p.name for p in cls.params}

    card = panel.cards["beauty.brighten"]
    card.enable.setChecked(True)
    assert window.chain.is_enabled("beauty.brighten") and card.form_box.isVisible()
    slider = card.controls["amount"]
    assert isinstance(slider, NumberControl)
    slider.slider.setValue(slider.slider.maximum())
    assert window.chain.values("beauty.brighten")["amount"] == 100.0
    qtbot.waitUntil(lambda: card.cost.text().endswith("ms"), timeout=WAIT)  # measured cost
    # the landmark model is shown apart, not charged to the first face effect
    qtbot.waitUntil(lambda: "of which face tracking" in panel.total.text(), timeout=WAIT)

    colour = next(
        c
        for card_ in panel.cards.values()
        for c in card_.controls.values()
        if isinstance(c, ColorControl)
    )
    assert colour.code.text().startswith("#")

    # Presets: a saved one comes back in the list and restores the chain.
    panel.save_preset("My look")
    saved = [panel.preset_box.itemData(i) for i in range(panel.preset_box.count())]
    mine = next(p for p in saved if isinstance(p, presets.Preset) and p.name == "My look")
    panel.apply_preset(presets.Preset("Nothing", ()))
    assert window.chain.enabled == []
    panel.apply_preset(mine)
    assert window.chain.enabled == ["beauty.brighten"] and card.enable.isChecked()

    # A premium effect is locked until bought through the catalog API.
    premium = next(c for c in videos if c.premium)
    locked = panel.cards[premium.id]
    assert locked.locked and not locked.enable.isEnabled() and not locked.unlock_button.isHidden()
    locked.unlock_button.click()
    qtbot.waitUntil(lambda: not panel.cards[premium.id].locked, timeout=WAIT)
    assert locked.enable.isEnabled() and locked.unlock_button.isHidden()
    locked.enable.setChecked(True)
    assert window.chain.is_enabled(premium.id)
    qtbot.waitUntil(
        lambda: f"{1_000 - premium.price_coins:,} coins" in window.account.text(), timeout=WAIT
    )
    window.close()

    # The chain is remembered for the next run.
    again = studio(server.url, config="fx")
    assert set(again.chain.enabled) == {"beauty.brighten", premium.id}


def test_voice_effects_toggle_the_voice_chain(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window = studio(server.url, make_account(server.url), config="voice")
    panel = window.docks["effects"].widget()
    assert isinstance(panel, EffectsPanel)
    voice_tab = next(i for i in range(panel.tabs.count()) if panel.tabs.tabText(i) == "Voice")
    panel.tabs.setCurrentIndex(voice_tab)
    voices = [c for c in registry.all_filters() if issubclass(c, VoiceFilter)]
    assert voices and all(
        panel.cards[c.id].isVisibleTo(panel.tabs.widget(voice_tab)) for c in voices
    )

    tone = next_frame()
    card = panel.cards["voice.pitch"]
    card.enable.setChecked(True)
    assert window.voice.enabled == ["voice.pitch"] and not window.chain.is_enabled("voice.pitch")
    assert not np.array_equal(window.voice.process(tone).to_ndarray(), tone.to_ndarray())
    slider = card.controls["semitones"]
    assert isinstance(slider, NumberControl)
    slider.slider.setValue(slider.slider.minimum())
    assert window.voice.values("voice.pitch")["semitones"] == -12.0
    qtbot.waitUntil(lambda: "1 voice effect" in panel.total.text(), timeout=WAIT)

    card.enable.setChecked(False)
    assert window.voice.enabled == []
    assert window.voice.process(tone) is tone

    panel.cards["voice.echo"].enable.setChecked(True)
    window.close()
    again = studio(server.url, config="voice")
    assert again.voice.enabled == ["voice.echo"] and again.chain.enabled == []
    assert again.voice.values("voice.pitch")["semitones"] == -12.0


def next_frame() -> av.AudioFrame:
    """20 ms of a 440 Hz tone, as the sample audio track makes it."""
    wave = 0.2 * np.sin(2 * np.pi * 440.0 * np.arange(FRAME_SAMPLES) / SAMPLE_RATE)
    samples = (wave * 32767).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    return frame
