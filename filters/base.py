"""The effect base classes: declared metadata and parameters, ``process`` per frame."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from filters.params import Param, ParamError, ParamValue
from filters.types import ColourMap, Image

if TYPE_CHECKING:
    from filters.context import FrameContext

MIN_PRICE, MAX_PRICE = 10, 500


class Category(StrEnum):
    BEAUTY = "beauty"
    MAKEUP = "makeup"
    AR = "ar"
    COLOR = "color"
    BACKGROUND = "background"
    OVERLAY = "overlay"
    VOICE = "voice"


class Parameterised:
    """Declared parameters and one set of current values: what effects and scene sources
    share, so the studio builds the controls of both from the declarations."""

    params: ClassVar[tuple[Param, ...]] = ()

    def __init__(self, **values: object) -> None:
        self._values: dict[str, ParamValue] = {param.name: param.default for param in self.params}
        self.update(**values)

    @classmethod
    def param(cls, name: str) -> Param:
        for declared in cls.params:
            if declared.name == name:
                return declared
        owner = getattr(cls, "id", cls.__name__)  # an effect's id, else the class's name
        raise ParamError(f"{owner}: unknown parameter {name!r}")

    @classmethod
    def validate(cls, values: Mapping[str, object]) -> dict[str, ParamValue]:
        """Every parameter value, ``values`` coerced and checked, defaults for the rest."""
        out = {param.name: param.default for param in cls.params}
        for name, value in values.items():
            out[name] = cls.param(name).coerce(value)
        return out

    @property
    def values(self) -> dict[str, ParamValue]:
        return dict(self._values)

    def update(self, **values: object) -> None:
        """Change some parameter values (validated; on error nothing changes)."""
        checked = {name: self.param(name).coerce(value) for name, value in values.items()}
        self._values.update(checked)
        if checked:
            self.changed(set(checked))

    def changed(self, names: set[str]) -> None:
        """Hook: parameters ``names`` changed (rebuild cached tables, sprites...)."""

    def number(self, name: str) -> float:
        return float(self._values[name])

    def fraction(self, name: str) -> float:
        """A 0..100 % parameter as 0..1."""
        return float(self._values[name]) / 100.0

    def text(self, name: str) -> str:
        return str(self._values[name])

    def flag(self, name: str) -> bool:
        return bool(self._values[name])


class Effect(Parameterised):
    """Metadata, declared parameters and current values shared by video and voice effects.

    Subclasses set the class attributes; an instance holds one set of parameter values.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[Category]
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = ""
    tags: ClassVar[tuple[str, ...]] = ()
    premium: ClassVar[bool] = False
    price_coins: ClassVar[int] = 0
    needs: ClassVar[tuple[str, ...]] = ()
    """What the effect reads from the frame context: ``"face"`` (landmarks), ``"refined"``
    (landmarks from FaceMesh's attention model: precise lips and eyes, and the irises; the
    pipeline runs the cheaper base mesh when no filter asks for it), ``"person_mask"``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "id" not in cls.__dict__:
            return
        if cls.premium and not MIN_PRICE <= cls.price_coins <= MAX_PRICE:
            raise TypeError(f"{cls.id}: premium price must be {MIN_PRICE}..{MAX_PRICE} coins")
        if not cls.premium and cls.price_coins:
            raise TypeError(f"{cls.id}: a free effect has no price")
        names = [param.name for param in cls.params]
        if len(set(names)) != len(names):
            raise TypeError(f"{cls.id}: duplicate parameter names")

    @classmethod
    def neutral_values(cls) -> dict[str, ParamValue]:
        """Values at which the effect leaves its input unchanged."""
        return {p.name: p.neutral for p in cls.params if p.neutral is not None}

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """JSON-serialisable description for the studio and the backend catalog."""
        return {
            "id": cls.id,
            "name": cls.name,
            "description": cls.description,
            "category": cls.category.value,
            "version": cls.version,
            "premium": cls.premium,
            "price": cls.price_coins,
            "tags": list(cls.tags),
            "needs": list(cls.needs),
            "parameters": [param.describe() for param in cls.params],
        }

    def is_neutral(self) -> bool:
        """True when the current values have no effect (the pipeline then skips the effect)."""
        neutral = self.neutral_values()
        return bool(neutral) and all(self._values[name] == v for name, v in neutral.items())


class VideoFilter(Effect, ABC):
    """A video effect: ``process(frame, ctx)`` returns the processed BGR uint8 frame.

    Subclasses implement ``render``. Neither may modify ``frame`` in place (the pipeline
    relies on it to contain failures); they return a new array, or ``frame`` itself when
    nothing changes. At neutral values ``process`` returns ``frame`` untouched.
    """

    folds_colour_maps: ClassVar[bool] = False
    """True for a background effect that grades only what it keeps: given colour maps in
    ``ctx.colour_maps``, it applies them to the pixels of the person it keeps and to its own
    background (a blur grades its reduced copy; a replacement's picture is not graded). The
    pipeline then folds the looks just before it into it instead of grading the whole frame,
    most of which the effect replaces."""

    def colour_map(self) -> ColourMap | None:
        """For a filter whose every output pixel depends on the same input pixel alone (a
        colour look): that map at the current values. ``None`` for any other filter."""
        return None

    def process(self, frame: Image, ctx: FrameContext) -> Image:
        """The processed frame (``frame`` itself when the values are neutral)."""
        if self.is_neutral():
            return frame
        return self.render(frame, ctx)

    @abstractmethod
    def render(self, frame: Image, ctx: FrameContext) -> Image:
        """The effect applied to ``frame`` (values are not neutral)."""
