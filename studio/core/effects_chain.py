"""The studio's effect chain: which effects are on, their values, presets and costs (no Qt).

The frame worker calls :meth:`EffectsChain.process` while the UI edits the chain; every edit
either changes one effect's values (validated, applied whole) or swaps the pipeline's filter
list for a new one, so the worker never sees a half-made change. The chain keeps the
newest (input, output) pair for the preview's before/after view.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from filters import registry
from filters.base import VideoFilter
from filters.pipeline import FilterFailure, Pipeline
from filters.presets import Preset, PresetEntry
from filters.types import Image

log = logging.getLogger(__name__)


class EffectsChain:
    def __init__(self, on_failure: Callable[[FilterFailure], None] | None = None) -> None:
        self.pipeline = Pipeline(on_failure=on_failure)
        self._effects: dict[str, VideoFilter] = {}
        self._enabled: list[str] = []
        self.last_pair: tuple[Image, Image] | None = None

    # ---- the frame worker's side ----------------------------------------------------
    def process(self, image: Image) -> Image:
        out = self.pipeline.process(image) if self._enabled else image
        self.last_pair = (image, out)
        return out

    # ---- the UI's side --------------------------------------------------------------
    @property
    def enabled(self) -> list[str]:
        return list(self._enabled)

    def is_enabled(self, effect_id: str) -> bool:
        return effect_id in self._enabled

    def values(self, effect_id: str) -> dict[str, Any]:
        return self._effect(effect_id).values

    def set_enabled(self, effect_id: str, enabled: bool) -> None:
        if enabled == (effect_id in self._enabled):
            return
        self._effect(effect_id)
        wanted = set(self._enabled) | {effect_id} if enabled else set(self._enabled) - {effect_id}
        self._enabled = [i for i in registry.ids() if i in wanted]
        self.pipeline.set_filters([self._effects[i] for i in self._enabled])

    def set_value(self, effect_id: str, name: str, value: Any) -> None:
        """Change one parameter (``ParamError`` if it does not fit the declaration)."""
        self._effect(effect_id).update(**{name: value})

    def reset(self, effect_id: str) -> None:
        effect = self._effect(effect_id)
        effect.update(**{p.name: p.default for p in effect.params})

    def load(self, values: Mapping[str, Mapping[str, Any]], enabled: list[str]) -> None:
        """Restore saved values and the enabled set; unknown ids and bad values are skipped."""
        for effect_id, params in values.items():
            try:
                self._effect(effect_id).update(**registry.validate(effect_id, dict(params)))
            except (registry.UnknownFilter, ValueError) as exc:
                log.warning("skipping saved values for %s: %s", effect_id, exc)
        known = set(registry.ids())
        self._enabled = []
        for effect_id in enabled:
            if effect_id in known:
                self.set_enabled(effect_id, True)

    def apply_preset(self, preset: Preset) -> None:
        """Switch to exactly the preset's effects and values (others are switched off)."""
        for entry in preset.entries:
            effect = self._effect(entry.filter_id)
            effect.update(**{p.name: p.default for p in effect.params})
            effect.update(**entry.params)
        wanted = {e.filter_id for e in preset.entries if e.enabled}
        self._enabled = [i for i in registry.ids() if i in wanted]
        self.pipeline.set_filters([self._effects[i] for i in self._enabled])

    def preset(self, name: str) -> Preset:
        entries = tuple(PresetEntry(i, self._effects[i].values) for i in self._enabled)
        return Preset(name, entries)

    def saved_values(self) -> dict[str, dict[str, Any]]:
        return {effect_id: effect.values for effect_id, effect in self._effects.items()}

    def costs(self) -> dict[str, float]:
        """Median milliseconds per frame of each enabled effect, and ``"total"``."""
        return {t["id"]: float(t["median_ms"]) for t in self.pipeline.timings()}

    def close(self) -> None:
        self.pipeline.close()

    def _effect(self, effect_id: str) -> VideoFilter:
        effect = self._effects.get(effect_id)
        if effect is None:
            created = registry.create(effect_id)
            if not isinstance(created, VideoFilter):
                raise registry.UnknownFilter(effect_id)
            effect = self._effects[effect_id] = created
        return effect
