"""The effects panel: controls generated from the registry, presets, premium unlock via the API."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from filters import presets, registry
from filters.base import VideoFilter
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

    # One card per video effect, one control per declared parameter.
    videos = [c for c in registry.all_filters() if issubclass(c, VideoFilter)]
    assert set(panel.cards) == {c.id for c in videos}
    for cls in videos:
        assert set(panel.cards[cls.id].controls) == {p.name for p in cls.params}

    card = panel.cards["beauty.brighten"]
    card.enable.setChecked(True)
    assert window.chain.is_enabled("beauty.brighten") and card.form_box.isVisible()
    slider = card.controls["amount"]
    assert isinstance(slider, NumberControl)
    slider.slider.setValue(slider.slider.maximum())
    assert window.chain.values("beauty.brighten")["amount"] == 100.0
    qtbot.waitUntil(lambda: card.cost.text().endswith("ms"), timeout=WAIT)  # measured cost

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
