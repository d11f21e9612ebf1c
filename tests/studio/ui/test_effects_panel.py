"""The effects panel: controls generated from the registry, presets (the active one remembered),
colour looks as one choice, premium unlock via the API after a confirmation, and cards that fit
the dock."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QScrollArea
from pytestqt.qtbot import QtBot

from filters import presets, registry
from filters.audio.voice import VoiceFilter
from filters.base import VideoFilter
from studio.core.audio import FRAME_SAMPLES, SAMPLE_RATE
from studio.core.settings_store import SettingsStore, StudioSettings
from studio.ui.main_window import MainWindow
from studio.ui.panels.effects import EffectsPanel
from studio.ui.param_controls import ColorControl, NumberControl
from studio.ui.toasts import Toast
from tests.servers import LiveServer
from tests.studio.ui.conftest import Account, StudioFactory, make_account
from tests.studio.ui.dialogs import answering

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
    assert window.broadcast.chain.is_enabled("beauty.brighten") and card.form_box.isVisible()
    slider = card.controls["amount"]
    assert isinstance(slider, NumberControl)
    slider.slider.setValue(slider.slider.maximum())
    assert window.broadcast.chain.values("beauty.brighten")["amount"] == 100.0
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
    assert window.broadcast.chain.enabled == []
    panel.apply_preset(mine)
    assert window.broadcast.chain.enabled == ["beauty.brighten"] and card.enable.isChecked()

    # A premium effect is locked until bought through the catalog API.
    premium = next(c for c in videos if c.premium)
    locked = panel.cards[premium.id]
    assert locked.locked and not locked.enable.isEnabled() and not locked.unlock_button.isHidden()
    with answering(True):
        locked.unlock_button.click()
    qtbot.waitUntil(lambda: not panel.cards[premium.id].locked, timeout=WAIT)
    assert locked.enable.isEnabled() and locked.unlock_button.isHidden()
    locked.enable.setChecked(True)
    assert window.broadcast.chain.is_enabled(premium.id)
    qtbot.waitUntil(
        lambda: f"{1_000 - premium.price_coins:,} coins" in window.account.text(), timeout=WAIT
    )
    window.close()

    # The chain is remembered for the next run.
    again = studio(server.url, config="fx")
    assert set(again.broadcast.chain.enabled) == {"beauty.brighten", premium.id}


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
    assert window.broadcast.voice.enabled == [
        "voice.pitch"
    ] and not window.broadcast.chain.is_enabled("voice.pitch")
    assert not np.array_equal(window.broadcast.voice.process(tone).to_ndarray(), tone.to_ndarray())
    slider = card.controls["semitones"]
    assert isinstance(slider, NumberControl)
    slider.slider.setValue(slider.slider.minimum())
    assert window.broadcast.voice.values("voice.pitch")["semitones"] == -12.0
    qtbot.waitUntil(lambda: "1 voice effect" in panel.total.text(), timeout=WAIT)

    card.enable.setChecked(False)
    assert window.broadcast.voice.enabled == []
    assert window.broadcast.voice.process(tone) is tone

    panel.cards["voice.echo"].enable.setChecked(True)
    window.close()
    again = studio(server.url, config="voice")
    assert again.broadcast.voice.enabled == ["voice.echo"] and again.broadcast.chain.enabled == []
    assert again.broadcast.voice.values("voice.pitch")["semitones"] == -12.0


def next_frame() -> av.AudioFrame:
    """20 ms of a 440 Hz tone, as the sample audio track makes it."""
    wave = 0.2 * np.sin(2 * np.pi * 440.0 * np.arange(FRAME_SAMPLES) / SAMPLE_RATE)
    samples = (wave * 32767).astype(np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    return frame


def effects_panel(window: MainWindow) -> EffectsPanel:
    panel = window.docks["effects"].widget()
    assert isinstance(panel, EffectsPanel)
    return panel


def coins_of(server: LiveServer, account: Account) -> int:
    wallet = account.call(server.url, "GET", "/api/wallet")
    assert isinstance(wallet, dict)
    return int(wallet["coins"])


def with_catalog(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, coins: int
) -> tuple[Account, MainWindow, EffectsPanel]:
    """A signed-in studio with ``coins``, its effects panel showing the catalog's locks."""
    account = make_account(server.url, coins=coins)
    window = studio(server.url, account)
    panel = effects_panel(window)
    qtbot.waitUntil(lambda: bool(panel.catalog), timeout=WAIT)
    return account, window, panel


def test_unlocking_asks_with_the_price_and_the_balance_after_it(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    account, window, panel = with_catalog(server, studio, qtbot, coins=5_000)
    golden = panel.cards["color.golden_hour"]
    price = panel.catalog["color.golden_hour"].price
    question = f"Unlock Golden hour for {price:,} coins? You'll have {5_000 - price:,} coins left."

    with answering(False) as asked:
        golden.unlock_button.click()
    assert [q.text for q in asked] == [question]
    assert golden.locked and coins_of(server, account) == 5_000  # declined: nothing bought

    with answering(True) as asked:
        golden.unlock_button.click()
    assert [q.text for q in asked] == [question]
    qtbot.waitUntil(lambda: not panel.cards["color.golden_hour"].locked, timeout=WAIT)
    assert coins_of(server, account) == 5_000 - price
    qtbot.waitUntil(lambda: f"{5_000 - price:,} coins" in window.account.text(), timeout=WAIT)


def test_too_few_coins_says_so_with_the_numbers_and_buys_nothing(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    account, window, panel = with_catalog(server, studio, qtbot, coins=1)
    price = panel.catalog["color.cyberpunk"].price

    with answering() as asked:
        panel.cards["color.cyberpunk"].unlock_button.click()
    assert asked == []  # no question: the answer could only be no
    assert (
        f"Not enough coins for Cyberpunk Unlocking costs {price:,} coins; you have 1 coin."
        in window.toasts.messages
    )
    assert panel.cards["color.cyberpunk"].locked and coins_of(server, account) == 1


def test_a_preset_without_its_premium_effects_offers_to_unlock_them(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    account, window, panel = with_catalog(server, studio, qtbot, coins=1_000)
    focus = next(p for p in presets.builtin() if p.name == "Cinematic focus")
    price = panel.catalog["color.cinematic"].price

    panel.apply_preset(focus)
    assert not window.broadcast.chain.is_enabled("color.cinematic")  # locked: applied without it
    toast = next(t for t in window.findChildren(Toast) if t.action is not None)
    assert toast.action is not None and "Cinematic" in toast.action.text()
    with answering(True) as asked:
        toast.action.click()
    assert [q.text for q in asked] == [
        f"Unlock Cinematic for {price:,} coins? You'll have {1_000 - price:,} coins left."
    ]
    qtbot.waitUntil(lambda: window.broadcast.chain.is_enabled("color.cinematic"), timeout=WAIT)
    assert set(window.broadcast.chain.enabled) == {e.filter_id for e in focus.entries}
    assert coins_of(server, account) == 1_000 - price


def test_colour_looks_are_one_choice_and_no_look_is_one_of_them(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window = studio(server.url, make_account(server.url))
    panel = effects_panel(window)
    looks = [i for i in window.broadcast.chain.enabled if i.startswith("color.")]
    assert looks == [] and panel.no_look.isChecked()

    panel.cards["color.warm"].enable.click()
    panel.cards["color.vivid"].enable.click()
    assert [i for i in window.broadcast.chain.enabled if i.startswith("color.")] == ["color.vivid"]
    assert not panel.cards["color.warm"].enable.isChecked()
    assert not panel.cards["color.warm"].form_box.isVisibleTo(panel.cards["color.warm"])

    panel.cards["beauty.brighten"].enable.click()  # other categories still stack
    panel.no_look.click()
    assert window.broadcast.chain.enabled == ["beauty.brighten"]
    assert not panel.cards["color.vivid"].enable.isChecked()


def test_settings_with_two_looks_from_before_start_with_one(
    server: LiveServer, studio: StudioFactory, tmp_path: Path
) -> None:
    enabled = ["color.warm", "color.noir", "beauty.brighten"]  # looks used to stack
    SettingsStore(tmp_path / "two-looks").save(
        StudioSettings(backend_url=server.url, enabled_effects=enabled)
    )
    window = studio(server.url, config="two-looks")
    assert window.broadcast.chain.enabled == [
        "beauty.brighten",
        "color.warm",
    ]  # the last one in the chain
    panel = effects_panel(window)
    checked = [i for i, card in panel.cards.items() if card.enable.isChecked()]
    assert checked == ["beauty.brighten", "color.warm"] and not panel.no_look.isChecked()


def test_a_locked_look_from_the_settings_is_shown_off_once_the_catalog_says_so(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    account = make_account(server.url)
    SettingsStore(tmp_path / "locked-look").save(
        StudioSettings(
            backend_url=server.url,
            username=account.username,
            token=account.token,
            enabled_effects=["color.golden_hour"],  # premium, not bought by this account
        )
    )
    window = studio(server.url, config="locked-look")
    panel = effects_panel(window)
    qtbot.waitUntil(lambda: bool(panel.catalog), timeout=WAIT)
    assert window.broadcast.chain.enabled == []
    assert panel.no_look.isChecked() and not panel.cards["color.golden_hour"].enable.isChecked()


def test_the_active_preset_is_shown_and_remembered_across_a_restart(
    server: LiveServer, studio: StudioFactory
) -> None:
    window = studio(server.url, config="preset")
    panel = effects_panel(window)
    box = panel.preset_box
    natural = box.findText("Natural beauty")
    assert natural > 0 and box.currentIndex() == 0
    box.setCurrentIndex(natural)
    box.activated.emit(natural)
    assert box.currentText() == "Natural beauty" and window.settings.preset == "Natural beauty"
    window.close()

    again = effects_panel(studio(server.url, config="preset"))
    assert again.preset_box.currentText() == "Natural beauty"
    assert again.settings.preset == "Natural beauty"

    again.save_preset("Evening")
    assert again.preset_box.currentText() == "Evening (mine)"
    again.all_off.click()
    assert again.preset_box.currentIndex() == 0 and again.settings.preset == ""


def test_cards_fit_the_dock_at_its_default_width(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    """Every tab with all its effects on and premium ones locked: nothing sticks out sideways
    (no horizontal scrolling, unlock buttons and slider values inside the visible area)."""
    _, _, panel = with_catalog(server, studio, qtbot, coins=0)
    for effect_id, card in panel.cards.items():
        if not card.locked and not effect_id.startswith("color."):
            card.enable.setChecked(True)
    for index in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(index)
        scroll = panel.tabs.widget(index)
        assert isinstance(scroll, QScrollArea)
        qtbot.waitExposed(scroll)
        assert scroll.horizontalScrollBar().maximum() == 0, panel.tabs.tabText(index)
        viewport = scroll.viewport()
        assert scroll.widget().width() <= viewport.width()
        for card in panel.cards.values():
            ends = [card.unlock_button]
            ends += [c.readout for c in card.controls.values() if isinstance(c, NumberControl)]
            for widget in (w for w in ends if w.isVisibleTo(scroll.widget())):
                right = widget.mapTo(viewport, QPoint(widget.width(), 0)).x()
                assert right <= viewport.width(), (card.effect_id, right, viewport.width())
