"""Effects panel: every effect in the filters registry, controls built from its declared
parameters, grouped by category (video effects edit the broadcast's effects chain, voice effects
its voice chain); colour looks are one choice at a time (or none); presets to load and save, the
active one remembered; each effect's measured cost; premium effects locked until unlocked with
coins through the catalog API, after the streamer confirmed the price."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from filters import presets, registry
from filters.base import VideoFilter
from filters.params import ParamError
from filters.pipeline import FACE_TRACKING, PERSON_MASK
from studio.core.broadcast import Broadcast
from studio.core.effect_set import EffectSet
from studio.core.settings_store import StudioSettings
from studio.core.wording import coins
from studio.ui import theme
from studio.ui.confirm import confirm
from studio.ui.param_controls import ParamControl, control_for
from studio.ui.parts import PanelParts
from studio.ui.widgets import Card, dim, vertical_scroll
from wire.stream_filters import CatalogFilter
from wire.users import Account

COST_REFRESH_MS = 1000
LOOKS = "color"  # the category whose effects are one choice: a colour look, or none
NO_PRESET = "Presets…"
CATEGORY_TITLES = {
    "beauty": "Beauty",
    "makeup": "Makeup",
    "ar": "AR",
    "color": "Colour",
    "background": "Background",
    "overlay": "Overlay",
    "voice": "Voice",
}


class EffectCard(Card):
    toggled = Signal(str, bool)
    value_changed = Signal(str, str, object)
    unlock = Signal(str)

    def __init__(
        self, description: dict[str, Any], values: dict[str, Any], one_of: bool = False
    ) -> None:
        """``one_of``: a radio button (one of a group, like the colour looks), not a check box."""
        super().__init__()
        self.effect_id = str(description["id"])
        self.name = str(description["name"])
        self.enable: QAbstractButton = QRadioButton(self.name) if one_of else QCheckBox(self.name)
        self.enable.setStyleSheet("font-weight: 700;")
        self.cost = QLabel()
        self.cost.setProperty("dim", True)
        self.badge = QLabel()
        self.badge.setStyleSheet(f"color: {theme.WARNING}; font-weight: 700; font-size: 11px;")
        self.unlock_button = QPushButton("Unlock…")
        self.unlock_button.setProperty("role", "primary")
        self.unlock_button.clicked.connect(lambda: self.unlock.emit(self.effect_id))
        header = QHBoxLayout()
        header.addWidget(self.enable, 1)
        header.addWidget(self.cost)
        self.body.addLayout(header)
        # Premium: its own row, so the price and the button never widen the card.
        self.premium_row = QWidget()
        premium = QHBoxLayout(self.premium_row)
        premium.setContentsMargins(0, 0, 0, 0)
        premium.addWidget(self.badge, 1)
        premium.addWidget(self.unlock_button)
        self.body.addWidget(self.premium_row)
        if description.get("description"):
            self.body.addWidget(dim(str(description["description"])))
        self.controls: dict[str, ParamControl] = {}
        self.form_box = QWidget()
        form = QFormLayout(self.form_box)
        form.setContentsMargins(0, 4, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow docks
        for spec in description["parameters"]:
            control = control_for(spec, values[spec["name"]])
            control.changed.connect(
                lambda value, name=spec["name"]: self.value_changed.emit(
                    self.effect_id, name, value
                )
            )
            self.controls[spec["name"]] = control
            form.addRow(str(spec["label"]), control)
        self.body.addWidget(self.form_box)
        self.enable.toggled.connect(self._toggled)
        self.premium = bool(description["premium"])
        self._show_lock(self.premium, int(description["price"]), locked=self.premium)
        self.form_box.setVisible(False)

    def _toggled(self, on: bool) -> None:
        self.form_box.setVisible(on)
        self.toggled.emit(self.effect_id, on)

    def show_state(self, enabled: bool, values: dict[str, Any]) -> None:
        self.enable.blockSignals(True)
        self.enable.setChecked(enabled)
        self.enable.blockSignals(False)
        self.form_box.setVisible(enabled)
        for name, control in self.controls.items():
            control.set_value(values[name])

    def set_lock(self, entry: CatalogFilter) -> None:
        """Show the catalog's word on this effect for the signed-in user."""
        self._show_lock(entry.premium, entry.price, entry.locked)

    def _show_lock(self, premium: bool, price: int, locked: bool) -> None:
        self.locked = locked
        self.price = price
        self.enable.setEnabled(not locked)
        self.badge.setText(f"PREMIUM · {coins(price)}" if locked else "PREMIUM")
        self.premium_row.setVisible(premium)
        self.unlock_button.setVisible(locked)

    def set_cost(self, ms: float | None) -> None:
        self.cost.setText(f"{ms:.1f} ms" if ms is not None else "")


class EffectsPanel(QWidget):
    """Edits the broadcast's effect chain and voice chain (kept in the settings)."""

    def __init__(
        self,
        parts: PanelParts,
        broadcast: Broadcast,
        settings: StudioSettings,
        refresh_balance: Callable[[], None],
    ) -> None:
        super().__init__()
        self.account = parts.account  # the catalog, unlocking, where presets are kept
        self.settings = settings
        self.tasks = parts.tasks
        self.toasts = parts.toasts
        self.refresh_balance = refresh_balance  # after spending coins
        self.chain = broadcast.chain
        self.voice = broadcast.voice
        self.voice_ids = set(self.voice.ids())
        self.cards: dict[str, EffectCard] = {}
        self.catalog: dict[str, CatalogFilter] = {}
        for chain in (self.chain, self.voice):  # each takes its own kind of effect
            chain.load(settings.effects, settings.enabled_effects)
        self._one_look()
        self.looks = QButtonGroup(self)  # exclusive: picking a look switches the other off
        self.no_look = QRadioButton("No look")
        self.no_look.setStyleSheet("font-weight: 700;")
        self.looks.addButton(self.no_look)

        self.preset_box = QComboBox()
        self.preset_box.setToolTip("Apply a preset (the built-in ones and those you saved)")
        self.preset_box.activated.connect(self._preset_picked)
        save = QPushButton("Save preset")
        save.clicked.connect(self._save_preset)
        self.all_off = QPushButton("All off")
        self.all_off.clicked.connect(self._all_off)
        top = QHBoxLayout()
        top.addWidget(self.preset_box, 1)
        top.addWidget(save)
        top.addWidget(self.all_off)

        self.tabs = QTabWidget()
        self.tabs.setUsesScrollButtons(True)
        described = registry.describe_all()
        for category, title in CATEGORY_TITLES.items():
            page = QWidget()
            column = QVBoxLayout(page)
            column.setSpacing(10)
            if category == LOOKS:
                column.addWidget(self._no_look_card())
            for description in (d for d in described if d["category"] == category):
                card = self._card(description)
                column.addWidget(card)
            column.addStretch()
            self.tabs.addTab(vertical_scroll(page), title)
        self.total = QLabel()
        self.total.setProperty("dim", True)
        self.total.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.total)
        self.setMinimumWidth(340)
        self._fill_presets()
        self._sync_cards()
        self._show_costs()
        self._costs = QTimer(self)
        self._costs.setInterval(COST_REFRESH_MS)
        self._costs.timeout.connect(self._show_costs)
        self._costs.start()
        parts.signals.signed_in.connect(self._signed_in)
        for chain in (self.chain, self.voice):
            chain.on_change(self._chain_changed)

    def _card(self, description: dict[str, Any]) -> EffectCard:
        effect_id = description["id"]
        chain = self.chain_of(effect_id)
        look = description["category"] == LOOKS
        card = EffectCard(description, chain.values(effect_id), one_of=look)
        if look:
            self.looks.addButton(card.enable)
        card.toggled.connect(self._toggle)
        card.value_changed.connect(self._set_value)
        card.unlock.connect(lambda effect_id: self.unlock([effect_id]))
        self.cards[effect_id] = card
        return card

    def _no_look_card(self) -> Card:
        card = Card()
        card.body.addWidget(self.no_look)
        card.body.addWidget(dim("The camera's own colours. Colour looks are one at a time."))
        return card

    # ---- editing the chains ---------------------------------------------------------
    def chain_of(self, effect_id: str) -> EffectSet[Any]:
        return self.voice if effect_id in self.voice_ids else self.chain

    def _toggle(self, effect_id: str, on: bool) -> None:
        if on and self.cards[effect_id].locked:
            return
        self.chain_of(effect_id).set_enabled(effect_id, on)
        self._remember()

    def _set_value(self, effect_id: str, name: str, value: Any) -> None:
        try:
            self.chain_of(effect_id).set_value(effect_id, name, value)
        except ParamError as exc:
            self.toasts.show_toast("That value does not fit", str(exc), kind="warning")
            self._show_card(effect_id)
            return
        self._remember()

    def _all_off(self) -> None:
        self.chain.switch_all_off()
        self.voice.switch_all_off()

    def _chain_changed(self) -> None:
        """Effects switched on or off here or elsewhere (the keep-up banner): show it."""
        self._sync_cards()
        self._remember()
        self._show_preset("")

    def apply_preset(self, preset: presets.Preset, label: str = "") -> None:
        """Switch to ``preset`` (its premium effects only once unlocked) and show it as the
        active preset, ``label`` being its name in the preset box."""
        locked = [e.filter_id for e in preset.entries if self._locked(e.filter_id)]
        usable = presets.Preset(
            preset.name,
            tuple(
                e for e in preset.entries if e.filter_id not in locked and _is_video(e.filter_id)
            ),
            preset.description,
        )
        self.chain.apply_preset(usable)
        self._one_look()
        self._sync_cards()
        self._remember()
        self._show_preset(label or preset.name)
        if locked:
            names = _names(locked)
            self.toasts.show_toast(
                f"Applied “{preset.name}” without premium effects",
                f"Unlock {names} to use them.",
                kind="warning",
                action=(
                    f"Unlock {names}…",
                    lambda: self.unlock(locked, then=lambda: self.apply_preset(preset, label)),
                ),
            )

    def _one_look(self) -> None:
        """Keep only the last colour look switched on (settings or presets from before looks
        were one choice may have several)."""
        looks = [i for i in self.chain.enabled if registry.get(i).category == LOOKS]
        for effect_id in looks[:-1]:
            self.chain.set_enabled(effect_id, False)

    def _sync_cards(self) -> None:
        for effect_id in self.cards:
            self._show_card(effect_id)
        if not any(registry.get(i).category == LOOKS for i in self.chain.enabled):
            self.no_look.setChecked(True)

    def _show_card(self, effect_id: str) -> None:
        chain = self.chain_of(effect_id)
        self.cards[effect_id].show_state(chain.is_enabled(effect_id), chain.values(effect_id))

    def _remember(self) -> None:
        settings = self.settings
        settings.effects = {**self.chain.saved_values(), **self.voice.saved_values()}
        settings.enabled_effects = self.chain.enabled + self.voice.enabled

    def _show_preset(self, label: str) -> None:
        """Show ``label`` as the active preset ("" for none) and remember it."""
        self.settings.preset = label
        self.preset_box.setCurrentIndex(max(0, self.preset_box.findText(label)) if label else 0)

    # ---- presets --------------------------------------------------------------------
    def preset_dir(self) -> Path:
        return self.account.store.path.parent / "presets"

    def _fill_presets(self) -> None:
        self.preset_box.clear()
        self.preset_box.addItem(NO_PRESET, None)
        for preset in presets.builtin():
            self.preset_box.addItem(preset.name, preset)
        folder = self.preset_dir()
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            try:
                preset = presets.load(path)
            except presets.PresetError:
                continue
            self.preset_box.addItem(f"{preset.name} (mine)", preset)
        active = self.settings.preset
        self.preset_box.setCurrentIndex(max(0, self.preset_box.findText(active)) if active else 0)

    def _preset_picked(self, index: int) -> None:
        preset = self.preset_box.itemData(index)
        if isinstance(preset, presets.Preset):
            self.apply_preset(preset, self.preset_box.itemText(index))
        else:
            self._show_preset("")

    def _save_preset(self) -> None:
        name, ok = QInputDialog.getText(self, "Save preset", "Name of this look:")
        if ok and name.strip():
            self.save_preset(name.strip())

    def save_preset(self, name: str) -> None:
        folder = self.preset_dir()
        folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "preset"
        presets.save(self.chain.preset(name), folder / f"{slug}.json")
        self.settings.preset = f"{name} (mine)"
        self._fill_presets()
        self.toasts.show_toast(f"Saved preset “{name}”", kind="success", ms=2500)

    # ---- costs and the catalog ------------------------------------------------------
    def _show_costs(self) -> None:
        costs = {**self.chain.costs(), **self.voice.costs()}
        for effect_id, card in self.cards.items():
            enabled = self.chain_of(effect_id).is_enabled(effect_id)
            card.set_cost(costs.get(effect_id) if enabled else None)
        count = len(self.chain.enabled)
        total = costs.get("total", 0.0) if count else 0.0
        text = f"{count} effect{'s' * (count != 1)} on · {total:.1f} ms per frame"
        shared = [
            f"{label} {costs[key]:.1f} ms"
            for key, label in ((FACE_TRACKING, "face tracking"), (PERSON_MASK, "person mask"))
            if count and key in costs
        ]
        if shared:
            text += f" (of which {', '.join(shared)})"
        voices = len(self.voice.enabled)
        if voices:
            voice_ms = sum(self.voice.costs().values())
            text += f" · {voices} voice effect{'s' * (voices != 1)} · {voice_ms:.1f} ms per 20 ms"
        self.total.setText(text)

    def _locked(self, effect_id: str) -> bool:
        card = self.cards.get(effect_id)
        return card is not None and card.locked

    def _signed_in(self, user: Account | None) -> None:
        if user is not None:
            self.tasks.spawn(self._load_catalog(), "Loading the effects catalog")

    async def _load_catalog(self) -> None:
        self.catalog = await self.account.api.filter_catalog()
        for effect_id, card in self.cards.items():
            entry = self.catalog.get(effect_id)
            if entry is not None:
                card.set_lock(entry)
                chain = self.chain_of(effect_id)
                if entry.locked and chain.is_enabled(effect_id):
                    chain.set_enabled(effect_id, False)
        self._sync_cards()

    def unlock(self, effect_ids: list[str], then: Callable[[], object] | None = None) -> None:
        """Buy ``effect_ids`` once the streamer confirmed the price and the balance after it;
        ``then`` runs when they are unlocked. Not enough coins: say so, and buy nothing."""
        user = self.account.user
        names = _names(effect_ids)
        if user is None:
            self.toasts.show_toast(f"Sign in to unlock {names}", kind="warning")
            return
        price = sum(self.cards[i].price for i in effect_ids)
        if price > user.coins:
            self.toasts.show_toast(
                f"Not enough coins for {names}",
                f"Unlocking costs {coins(price)}; you have {coins(user.coins)}.",
                kind="warning",
            )
            return
        question = (
            f"Unlock {names} for {coins(price)}? You'll have {coins(user.coins - price)} left."
        )
        if confirm(self, "Unlock with coins", question, f"Unlock for {coins(price)}", danger=False):
            self.tasks.spawn(self._buy(effect_ids, then), "Unlocking")

    async def _buy(self, effect_ids: list[str], then: Callable[[], object] | None) -> None:
        for effect_id in effect_ids:
            wallet = await self.account.api.unlock_filter(effect_id)
        await self._load_catalog()
        self.refresh_balance()
        self.toasts.show_toast(
            f"Unlocked {_names(effect_ids)}", f"{coins(wallet.coins)} left", kind="success"
        )
        if then is not None:
            then()


def _names(effect_ids: list[str]) -> str:
    """Names joined for a sentence: "A", "A and B", "A, B and C"."""
    names = [registry.get(i).name for i in effect_ids]
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"


def _is_video(effect_id: str) -> bool:
    try:
        return issubclass(registry.get(effect_id), VideoFilter)
    except registry.UnknownFilter:
        return False
