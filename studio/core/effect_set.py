"""What the studio's video chain and voice chain share: which effects of one kind are on, in
registry order, and their values.

A subclass names its kind (``kind``) and applies the enabled effects in :meth:`use` (swapping
the list whole, so a frame never sees half a change). Listeners added with :meth:`on_change`
hear of every change to the enabled set, whoever made it, so every view can follow.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from filters import registry
from filters.base import Effect

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Effect)


class EffectSet(ABC, Generic[E]):
    kind: type[E]

    def __init__(self) -> None:
        self._effects: dict[str, E] = {}
        self._enabled: list[str] = []
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every change of which effects are on."""
        self._listeners.append(listener)

    @abstractmethod
    def use(self, effects: list[E]) -> None:
        """Apply exactly ``effects``, in this order, from the next frame on."""

    def ids(self) -> list[str]:
        """Every effect of this kind in the registry, in registry order."""
        return [i for i in registry.ids() if issubclass(registry.get(i), self.kind)]

    @property
    def enabled(self) -> list[str]:
        return list(self._enabled)

    def is_enabled(self, effect_id: str) -> bool:
        return effect_id in self._enabled

    def effect(self, effect_id: str) -> E:
        """The instance of ``effect_id`` the chain uses (for an effect fed from outside, such
        as the chat overlay's lines)."""
        return self._effect(effect_id)

    def values(self, effect_id: str) -> dict[str, Any]:
        return self._effect(effect_id).values

    def set_enabled(self, effect_id: str, enabled: bool) -> None:
        if enabled == (effect_id in self._enabled):
            return
        self._effect(effect_id)
        wanted = set(self._enabled) | {effect_id} if enabled else set(self._enabled) - {effect_id}
        self._set_enabled(wanted)

    def switch_all_off(self) -> None:
        if self._enabled:
            self._set_enabled(set())

    def set_value(self, effect_id: str, name: str, value: Any) -> None:
        """Change one parameter (``ParamError`` if it does not fit the declaration)."""
        self._effect(effect_id).update(**{name: value})

    def load(self, values: Mapping[str, Mapping[str, Any]], enabled: list[str]) -> None:
        """Restore saved values and the enabled set; other kinds' ids and bad values are
        skipped."""
        known = set(self.ids())
        for effect_id, params in values.items():
            if effect_id not in known:
                continue
            try:
                self._effect(effect_id).update(**registry.validate(effect_id, dict(params)))
            except ValueError as exc:
                log.warning("skipping saved values for %s: %s", effect_id, exc)
        self._set_enabled({i for i in enabled if i in known})

    def saved_values(self) -> dict[str, dict[str, Any]]:
        return {effect_id: effect.values for effect_id, effect in self._effects.items()}

    def _set_enabled(self, wanted: set[str]) -> None:
        self._enabled = [i for i in registry.ids() if i in wanted]
        self.use([self._effect(i) for i in self._enabled])
        for listener in tuple(self._listeners):
            listener()

    def _effect(self, effect_id: str) -> E:
        effect = self._effects.get(effect_id)
        if effect is None:
            created = registry.create(effect_id)
            if not isinstance(created, self.kind):
                raise registry.UnknownFilter(effect_id)
            effect = self._effects[effect_id] = created
        return effect
