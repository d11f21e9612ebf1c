"""Declared filter parameters: what the studio builds controls from and the backend validates."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


ParamValue: TypeAlias = float | int | bool | str
"""A parameter's value: a number, a flag, or text (a colour, a choice, a file)."""


class ParamError(ValueError):
    """A parameter value that does not fit its declaration (unknown name, type, range)."""


class ParamType(StrEnum):
    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    COLOR = "color"
    CHOICE = "choice"
    FILE = "file"
    TEXT = "text"


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    ``neutral`` is the value at which the parameter has no visible effect (``None`` when it
    has none, for example a colour); a filter whose neutral-capable parameters all sit at
    their neutral values leaves frames exactly unchanged.
    """

    name: str
    type: ParamType
    default: ParamValue
    label: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    unit: str = ""
    choices: tuple[str, ...] = ()
    neutral: ParamValue | None = None
    help: str = ""
    max_length: int = 200
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.coerce(self.default)
        if self.neutral is not None:
            self.coerce(self.neutral)

    def coerce(self, value: object) -> ParamValue:
        """``value`` converted to this parameter's type, or ``ParamError``."""
        coercer = _COERCERS[self.type]
        return coercer(self, value)

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable declaration (for the studio controls and the backend catalog)."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type.value,
            "label": self.label or self.name.replace("_", " ").capitalize(),
            "default": self.default,
            "neutral": self.neutral,
        }
        optional = {
            "min": self.min,
            "max": self.max,
            "step": self.step,
            "unit": self.unit or None,
            "choices": list(self.choices) or None,
            "help": self.help or None,
            "extensions": list(self.extensions) or None,
        }
        out.update({key: value for key, value in optional.items() if value is not None})
        if self.type is ParamType.TEXT:
            out["max_length"] = self.max_length
        return out


def _number(param: Param, value: object, kind: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParamError(f"{param.name}: expected a number, got {value!r}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float
        raise ParamError(f"{param.name}: the number is far out of range") from None
    if not finite:
        raise ParamError(f"{param.name}: must be finite")
    if kind is int and float(value) != int(value):
        raise ParamError(f"{param.name}: expected an integer, got {value!r}")
    if param.min is not None and value < param.min:
        raise ParamError(f"{param.name}: {value} is below the minimum {param.min}")
    if param.max is not None and value > param.max:
        raise ParamError(f"{param.name}: {value} is above the maximum {param.max}")
    return float(value)


def _float(param: Param, value: object) -> float:
    return _number(param, value, float)


def _int(param: Param, value: object) -> int:
    return int(_number(param, value, int))


def _bool(param: Param, value: object) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"{param.name}: expected true or false, got {value!r}")
    return value


def _color(param: Param, value: object) -> str:
    if not isinstance(value, str) or not _COLOR.match(value):
        raise ParamError(f"{param.name}: expected a colour like '#ff3366', got {value!r}")
    return value.lower()


def _choice(param: Param, value: object) -> str:
    if value not in param.choices:
        raise ParamError(f"{param.name}: {value!r} is not one of {list(param.choices)}")
    return str(value)


def _text(param: Param, value: object) -> str:
    if not isinstance(value, str):
        raise ParamError(f"{param.name}: expected text, got {value!r}")
    if len(value) > param.max_length:
        raise ParamError(f"{param.name}: longer than {param.max_length} characters")
    return value


def _file(param: Param, value: object) -> str:
    text = _text(param, value)
    has_suffix = "." in text.rsplit("/", 1)[-1]
    if has_suffix and param.extensions and not text.lower().endswith(param.extensions):
        raise ParamError(f"{param.name}: expected a file ending in {list(param.extensions)}")
    return text


_COERCERS: dict[ParamType, Callable[[Param, object], ParamValue]] = {
    ParamType.FLOAT: _float,
    ParamType.INT: _int,
    ParamType.BOOL: _bool,
    ParamType.COLOR: _color,
    ParamType.CHOICE: _choice,
    ParamType.FILE: _file,
    ParamType.TEXT: _text,
}


def amount(
    name: str, label: str, default: float, help: str = "", lo: float = 0.0, hi: float = 100.0
) -> Param:
    """A 0..100 % strength slider whose neutral value is 0."""
    return Param(name, ParamType.FLOAT, default, label, lo, hi, 1.0, "%", neutral=0.0, help=help)


def scalar(
    name: str, label: str, default: float, lo: float, hi: float, step: float, unit: str = ""
) -> Param:
    """A float slider without a neutral value (a size, a position)."""
    return Param(name, ParamType.FLOAT, default, label, lo, hi, step, unit)


def integer(name: str, label: str, default: int, lo: int, hi: int, unit: str = "") -> Param:
    return Param(name, ParamType.INT, default, label, lo, hi, 1, unit)


def flag(name: str, label: str, default: bool) -> Param:
    return Param(name, ParamType.BOOL, default, label)


def text(name: str, label: str, default: str, max_length: int = 200) -> Param:
    return Param(name, ParamType.TEXT, default, label, max_length=max_length)


def file(name: str, label: str, default: str, extensions: tuple[str, ...]) -> Param:
    """A file path ending in one of ``extensions``, or a bundled asset name (no suffix)."""
    return Param(name, ParamType.FILE, default, label, extensions=extensions)


def color(name: str, label: str, default: str) -> Param:
    return Param(name, ParamType.COLOR, default, label)


def choice(name: str, label: str, default: str, choices: tuple[str, ...]) -> Param:
    return Param(name, ParamType.CHOICE, default, label, choices=choices)


def hex_to_bgr(value: str) -> tuple[int, int, int]:
    """``'#rrggbb'`` as an OpenCV BGR tuple."""
    red, green, blue = (int(value[i : i + 2], 16) for i in (1, 3, 5))
    return blue, green, red
