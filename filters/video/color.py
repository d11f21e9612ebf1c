"""Colour looks as 3D LUTs: the bundled ``.cube`` files and any ``.cube`` a user has."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from filters.assets import asset
from filters.base import Category, VideoFilter
from filters.context import FrameContext
from filters.params import Param, amount, file
from filters.types import ColourMap, Image
from filters.video.lut import CompiledLut, load_compiled


def look_path(name: str) -> Path:
    """The bundled ``.cube`` file of a look (``assets/luts/<name>.cube``)."""
    return asset("luts", f"{name}.cube")


class LutFilter(VideoFilter):
    """Applies a 3D LUT to the whole frame, mixed with the original by ``intensity``."""

    category = Category.COLOR
    look: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = (amount("intensity", "Intensity", 100.0),)

    _lut: CompiledLut | None = None

    def cube_path(self) -> Path:
        return look_path(self.look)

    def changed(self, names: set[str]) -> None:
        self._lut = None

    def colour_map(self) -> ColourMap:
        if self._lut is None:  # resolving the asset path stats the file system
            self._lut = load_compiled(self.cube_path())
        return self._lut.at(min(self.fraction("intensity"), 1.0))

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        return self.colour_map()(frame, dst=ctx.overwritable(frame))


def _look(look: str, title: str, text: str, price: int = 0) -> type[LutFilter]:
    attributes = {
        "id": f"color.{look}",
        "name": title,
        "look": look,
        "description": text,
        "tags": ("color", "lut", "look", look.replace("_", " ")),
        "premium": price > 0,
        "price_coins": price,
    }
    return type(f"{title.replace(' ', '')}Look", (LutFilter,), attributes)


Vintage = _look("vintage", "Vintage", "Faded film: warm highlights, soft blacks.")
Warm = _look("warm", "Warm", "Sunny, golden skin tones.")
Cool = _look("cool", "Cool", "Crisp blue daylight.")
Noir = _look("noir", "Noir", "Contrasty black and white.")
Cinematic = _look("cinematic", "Cinematic", "Teal shadows, orange highlights.", price=50)
Faded = _look("faded", "Faded", "Matte, lifted blacks and muted colour.")
Vivid = _look("vivid", "Vivid", "Punchy colour and contrast.")
Sepia = _look("sepia", "Sepia", "Old photograph brown tones.")
Pastel = _look("pastel", "Pastel", "Soft, light, low-contrast colour.", price=20)
GoldenHour = _look("golden_hour", "Golden hour", "Low evening sun with a glow.", price=30)
Cyberpunk = _look("cyberpunk", "Cyberpunk", "Neon magenta and cyan.", price=80)


class CustomLut(LutFilter):
    """Any ``.cube`` 3D LUT file the user has."""

    id = "color.custom_lut"
    name = "Custom LUT"
    description = "Load any .cube 3D LUT (Resolve, Premiere, Photoshop exports)."
    tags = ("color", "lut", "custom", "cube")
    params: ClassVar[tuple[Param, ...]] = (
        file("cube", "LUT file", "vintage", (".cube",)),
        amount("intensity", "Intensity", 100.0),
    )

    def cube_path(self) -> Path:
        value = self.text("cube")
        path = Path(value).expanduser()
        return path if path.suffix == ".cube" else look_path(value)
