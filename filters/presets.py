"""Presets: a named, ordered chain of effects with parameter values, stored as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filters import registry
from filters.assets import asset
from filters.base import Effect, VideoFilter

PRESET_FORMAT = 1


class PresetError(ValueError):
    """A preset that cannot be loaded: bad JSON, unknown filter or invalid parameters."""


@dataclass(frozen=True)
class PresetEntry:
    filter_id: str
    params: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True)
class Preset:
    """An ordered chain of effect ids with parameters (video and voice effects alike)."""

    name: str
    entries: tuple[PresetEntry, ...]
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PRESET_FORMAT,
            "name": self.name,
            "description": self.description,
            "filters": [
                {"id": e.filter_id, "params": dict(e.params), "enabled": e.enabled}
                for e in self.entries
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Preset:
        """Parse and validate (every id known, every parameter in range)."""
        if not isinstance(data, dict) or not isinstance(data.get("filters"), list):
            raise PresetError("a preset is an object with a 'filters' list")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise PresetError("a preset needs a non-empty 'name'")
        entries = tuple(_entry(item) for item in data["filters"])
        return cls(name, entries, str(data.get("description", "")))

    @classmethod
    def from_effects(cls, name: str, effects: list[Effect], description: str = "") -> Preset:
        """A preset capturing the current chain and its values."""
        entries = tuple(PresetEntry(e.id, e.values) for e in effects)
        return cls(name, entries, description)

    def create(self) -> list[Effect]:
        """Fresh effect instances for the enabled entries, in order."""
        return [registry.create(e.filter_id, e.params) for e in self.entries if e.enabled]

    def video_filters(self) -> list[VideoFilter]:
        return [effect for effect in self.create() if isinstance(effect, VideoFilter)]


def _entry(item: Any) -> PresetEntry:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise PresetError("each preset entry is an object with an 'id'")
    params = item.get("params", {})
    if not isinstance(params, dict):
        raise PresetError(f"{item['id']}: 'params' must be an object")
    try:
        registry.validate(item["id"], params)
    except registry.UnknownFilter as exc:
        raise PresetError(f"unknown filter {exc.args[0]!r}") from None
    except ValueError as exc:
        raise PresetError(str(exc)) from None
    return PresetEntry(item["id"], dict(params), bool(item.get("enabled", True)))


def dumps(preset: Preset) -> str:
    return json.dumps(preset.to_dict(), indent=2, sort_keys=False) + "\n"


def loads(text: str) -> Preset:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PresetError(f"not JSON: {exc}") from None
    return Preset.from_dict(data)


def save(preset: Preset, path: Path) -> None:
    path.write_text(dumps(preset), encoding="utf-8")


def load(path: Path) -> Preset:
    return loads(path.read_text(encoding="utf-8"))


def builtin() -> list[Preset]:
    """The presets shipped in ``assets/presets``, by file name."""
    return [load(path) for path in sorted(asset("presets").glob("*.json"))]
