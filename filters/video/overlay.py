"""Overlays in screen space: image stickers and text."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from filters.assets import asset
from filters.base import Category, VideoFilter
from filters.context import FrameContext
from filters.params import Param, amount, choice, color, file, integer, scalar, text
from filters.types import Image
from filters.video.sprites import composite, load_sprite, paste, resolve, similarity


class Sticker(VideoFilter):
    id = "overlay.sticker"
    name = "Sticker"
    category = Category.OVERLAY
    description = "A picture anywhere on screen: built-in stickers or your own PNG."
    tags = ("overlay", "sticker", "image", "logo")
    params: ClassVar[tuple[Param, ...]] = (
        file("sticker", "Sticker", "star", (".png", ".webp", ".gif")),
        scalar("x", "X", 88.0, 0.0, 100.0, 0.5, "%"),
        scalar("y", "Y", 15.0, 0.0, 100.0, 0.5, "%"),
        scalar("size", "Size", 15.0, 2.0, 100.0, 0.5, "% of width"),
        scalar("rotation", "Rotation", 0.0, -180.0, 180.0, 1.0, "°"),
        amount("opacity", "Opacity", 100.0),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        sprite = load_sprite(resolve(self.text("sticker"), "stickers"))
        center = np.array([self.number("x") * ctx.width, self.number("y") * ctx.height]) / 100
        width = self.number("size") / 100.0 * ctx.width
        angle = np.deg2rad(-self.number("rotation"))
        matrix = similarity(sprite.shape[1], sprite.shape[0], center, width, angle)
        return composite(frame, sprite, matrix, self.fraction("opacity"))


FONTS = {
    "sans": "DejaVuSans.ttf",
    "sans_bold": "DejaVuSans-Bold.ttf",
    "serif_bold": "DejaVuSerif-Bold.ttf",
    "mono_bold": "DejaVuSansMono-Bold.ttf",
}
POSITIONS = ("top_left", "top", "top_right", "center", "bottom_left", "bottom", "bottom_right")
REFERENCE_HEIGHT = 720


def font_path(name_or_path: str) -> Path:
    """A bundled font (a key of ``FONTS``) or a ``.ttf``/``.otf`` path."""
    if name_or_path in FONTS:
        return asset("fonts", FONTS[name_or_path])
    return Path(name_or_path).expanduser()


@lru_cache(maxsize=16)
def render_text(
    content: str, font: Path, size: int, fill: str, outline: str, outline_width: int
) -> Image:
    """``content`` drawn as a tight BGRA sprite (multi-line, outlined)."""
    face = ImageFont.truetype(str(font), size)
    probe = ImageDraw.Draw(PILImage.new("RGBA", (1, 1)))
    left, top, right, bottom = probe.multiline_textbbox(
        (0, 0), content, font=face, stroke_width=outline_width, align="center"
    )
    pad = outline_width + 2
    box = (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad)
    canvas = PILImage.new("RGBA", box, (0, 0, 0, 0))
    ImageDraw.Draw(canvas).multiline_text(
        (pad - left, pad - top), content, font=face, fill=fill, align="center",
        stroke_width=outline_width, stroke_fill=outline,
    )  # fmt: skip
    sprite = cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGBA2BGRA)
    sprite.flags.writeable = False
    return sprite


class TextOverlay(VideoFilter):
    id = "overlay.text"
    name = "Text"
    category = Category.OVERLAY
    description = "Titles and captions with font, size, colour, outline and position."
    tags = ("overlay", "text", "caption", "title")
    params: ClassVar[tuple[Param, ...]] = (
        text("text", "Text", "LIVE", max_length=200),
        file("font", "Font", "sans_bold", (".ttf", ".otf")),
        integer("size", "Size", 48, 8, 300, "px at 720p"),
        color("color", "Colour", "#ffffff"),
        color("outline", "Outline colour", "#000000"),
        integer("outline_width", "Outline width", 3, 0, 20, "px at 720p"),
        choice("position", "Position", "top_left", POSITIONS),
        scalar("margin", "Margin", 3.0, 0.0, 30.0, 0.5, "%"),
        amount("opacity", "Opacity", 100.0),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        content = self.text("text")
        if not content.strip():
            return frame
        scale = ctx.height / REFERENCE_HEIGHT
        sprite = render_text(
            content,
            font_path(self.text("font")),
            max(4, round(self.number("size") * scale)),
            self.text("color"),
            self.text("outline"),
            round(self.number("outline_width") * scale),
        )
        x, y = self._origin(sprite, ctx)
        return paste(frame, sprite, x, y, self.fraction("opacity"))

    def _origin(self, sprite: Image, ctx: FrameContext) -> tuple[int, int]:
        margin = self.number("margin") / 100.0 * ctx.height
        height, width = sprite.shape[:2]
        return place(self.text("position"), (width, height), (ctx.width, ctx.height), margin)


def place(
    position: str, box: tuple[int, int], frame: tuple[int, int], margin: float
) -> tuple[int, int]:
    """Top-left corner of a ``box`` (width, height) at ``position`` (one of ``POSITIONS``) in a
    ``frame`` (width, height), ``margin`` px from the edges it sits against."""
    across = "start" if position.endswith("left") else "end" if position.endswith("right") else ""
    down = "start" if position.startswith("top") else "end" if position.startswith("bottom") else ""
    return round(_along(across, box[0], frame[0], margin)), round(
        _along(down, box[1], frame[1], margin)
    )


def _along(side: str, size: int, room: int, margin: float) -> float:
    """Where a ``size`` long span starts in ``room``: at the start, at the end, or centred."""
    if side == "start":
        return margin
    if side == "end":
        return room - size - margin
    return (room - size) / 2
