"""Every effect in the package, by id: what the studio and the backend catalog list."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from filters.base import Category, Effect
from filters.params import ParamError, ParamValue

EFFECT_MODULES = (
    "filters.video.beauty",
    "filters.video.reshape",
    "filters.video.makeup",
    "filters.video.ar",
    "filters.video.particles",
    "filters.video.color",
    "filters.video.background",
    "filters.video.overlay",
    "filters.video.chat_overlay",
    "filters.audio.voice",
)
CATEGORY_ORDER = tuple(Category)


class UnknownFilter(KeyError):
    """No effect has this id."""


@lru_cache(maxsize=1)
def _effects() -> dict[str, type[Effect]]:
    found: dict[str, type[Effect]] = {}
    for module_name in EFFECT_MODULES:
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Effect) and "id" in cls.__dict__ and not inspect.isabstract(cls):
                if cls.id in found and found[cls.id] is not cls:
                    raise RuntimeError(f"two effects share the id {cls.id!r}")
                found[cls.id] = cls
    ordered = sorted(found.values(), key=lambda c: (CATEGORY_ORDER.index(c.category), c.id))
    return {cls.id: cls for cls in ordered}


def all_filters(category: str | Category | None = None) -> list[type[Effect]]:
    """Every effect class (video and voice), by category then id; optionally one category."""
    effects = list(_effects().values())
    if category is None:
        return effects
    wanted = Category(category)
    return [cls for cls in effects if cls.category is wanted]


def ids() -> list[str]:
    return list(_effects())


def get(filter_id: str) -> type[Effect]:
    """The effect class with this id, or ``UnknownFilter``."""
    try:
        return _effects()[filter_id]
    except KeyError:
        raise UnknownFilter(filter_id) from None


def create(filter_id: str, params: Mapping[str, object] | None = None) -> Effect:
    """A new effect instance with ``params`` (validated; ``ParamError`` if out of range)."""
    return get(filter_id)(**(params or {}))


def validate(filter_id: str, params: Mapping[str, object]) -> dict[str, ParamValue]:
    """All parameter values of ``filter_id`` with ``params`` applied; raises
    ``UnknownFilter`` or ``ParamError`` (a ``ValueError`` naming the parameter)."""
    return get(filter_id).validate(params)


def describe_all(category: str | Category | None = None) -> list[dict[str, Any]]:
    """JSON-serialisable descriptions of every effect (see ``Effect.describe``)."""
    return [cls.describe() for cls in all_filters(category)]


__all__ = [
    "ParamError",
    "UnknownFilter",
    "all_filters",
    "create",
    "describe_all",
    "get",
    "ids",
    "validate",
]
