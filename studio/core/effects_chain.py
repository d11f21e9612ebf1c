"""The studio's effect chain: which effects are on, their values, presets and costs (no Qt).

The frame worker calls :meth:`EffectsChain.process` while the UI edits the chain; every edit
either changes one effect's values (validated, applied whole) or swaps the pipeline's filter
list for a new one, so the worker never sees a half-made change. The chain keeps the
newest (input, output) pair for the preview's before/after view.
"""

from __future__ import annotations

from collections.abc import Callable

from filters import registry
from filters.base import VideoFilter
from filters.pipeline import FilterFailure, Pipeline
from filters.presets import Preset, PresetEntry
from filters.types import Image
from studio.core.effect_set import EffectSet


class EffectsChain(EffectSet[VideoFilter]):
    kind = VideoFilter

    def __init__(self, on_failure: Callable[[FilterFailure], None] | None = None) -> None:
        super().__init__()
        self.pipeline = Pipeline(on_failure=on_failure)
        self.last_pair: tuple[Image, Image] | None = None

    # ---- the frame worker's side ----------------------------------------------------
    def process(self, image: Image) -> Image:
        out = self.pipeline.process(image) if self._enabled else image
        self.last_pair = (image, out)
        return out

    # ---- the UI's side --------------------------------------------------------------
    def use(self, effects: list[VideoFilter]) -> None:
        self.pipeline.set_filters(effects)

    def reset(self, effect_id: str) -> None:
        effect = self._effect(effect_id)
        effect.update(**{p.name: p.default for p in effect.params})

    def apply_preset(self, preset: Preset) -> None:
        """Switch to exactly the preset's effects and values (others are switched off)."""
        for entry in preset.entries:
            effect = self._effect(entry.filter_id)
            effect.update(**{p.name: p.default for p in effect.params})
            effect.update(**entry.params)
        self._set_enabled({e.filter_id for e in preset.entries if e.enabled})

    def preset(self, name: str) -> Preset:
        entries = tuple(PresetEntry(i, self._effects[i].values) for i in self._enabled)
        return Preset(name, entries)

    def copies(self) -> list[VideoFilter]:
        """Fresh instances of the enabled effects with their values, for work off the chain
        (measuring this machine) that must not disturb the frames the chain is processing."""
        made = [registry.create(i, self.values(i)) for i in self._enabled]
        return [effect for effect in made if isinstance(effect, VideoFilter)]

    def costs(self) -> dict[str, float]:
        """Median milliseconds per frame of each enabled effect, and ``"total"``."""
        return {t["id"]: float(t["median_ms"]) for t in self.pipeline.timings()}

    def close(self) -> None:
        self.pipeline.close()
