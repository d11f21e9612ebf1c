"""Background effects: blur, replacement with an image, and green screen (chroma key)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from filters.base import Category, VideoFilter
from filters.context import FrameContext
from filters.imaging import downscale
from filters.params import Param, amount, choice, color, file, hex_to_bgr, scalar
from filters.types import ColourMap, Image, Mask
from filters.video.common import composite_behind, gaussian_u8

BLUR_SMALL_SIGMA = 1.5
"""The blur is computed at the largest power-of-two reduction (up to 8) that leaves at least
this sigma to apply on the small frame: a wide blur hides the coarser grid and costs less."""
BUILTIN_BACKDROPS = ("studio", "sunset", "night", "office")


def _blurred(frame: Image, sigma: float, ctx: FrameContext) -> Image:
    """A strong blur computed on a reduced copy (halved by 2×2 means, graded by the looks
    folded into the blur) and upsampled."""
    height, width = frame.shape[:2]
    scale = 2 ** int(np.clip(np.floor(np.log2(max(sigma, 1.0) / BLUR_SMALL_SIGMA)), 1, 3))
    small = ctx.graded(downscale(frame, max(width, height) // scale))
    small = gaussian_u8(small, max(0.5, sigma / scale))
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def person_alpha(ctx: FrameContext, edge: float, opacity: float = 1.0) -> Mask:
    """uint8 person alpha at frame size, its edge tightened and softened by ``edge`` (0..1)
    and the background kept at ``1 - opacity``: shaped at the segmenter's resolution, then
    upsampled once."""
    mask = ctx.person_mask_small()
    low, high = 0.5 - 0.4 * edge, 0.5 + 0.4 * edge
    alpha = np.clip((mask - low) * (1.0 / max(high - low, 1e-3)), 0.0, 1.0)
    keep = (1.0 - (1.0 - alpha) * opacity) * 255.0 + 0.5
    return cv2.resize(
        keep.astype(np.uint8), (ctx.width, ctx.height), interpolation=cv2.INTER_LINEAR
    )


class BackgroundBlur(VideoFilter):
    id = "background.blur"
    name = "Background blur"
    category = Category.BACKGROUND
    description = "Blurs everything behind you; you stay sharp."
    tags = ("background", "blur", "bokeh", "privacy")
    needs = ("person_mask",)
    folds_colour_maps = True
    params: ClassVar[tuple[Param, ...]] = (
        amount("strength", "Blur", 60.0),
        scalar("edge", "Edge softness", 50.0, 0.0, 100.0, 1.0, "%"),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        sigma = 2.0 + self.fraction("strength") * 0.03 * frame.shape[0]
        alpha = person_alpha(ctx, max(self.number("edge") / 100.0, 0.05))
        return composite_behind(
            ctx.writable(frame), _blurred(frame, sigma, ctx), alpha, _folded_grade(ctx)
        )


def _folded_grade(ctx: FrameContext) -> ColourMap | None:
    return ctx.graded if ctx.colour_maps else None


def _gradient(
    size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image:
    width, height = size
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = (1 - ramp) * np.array(top, np.float32) + ramp * np.array(bottom, np.float32)
    return np.repeat(column, width, axis=1).astype(np.uint8)


def _backdrop(name: str, size: tuple[int, int]) -> Image:
    """A generated backdrop: soft gradients with out-of-focus lights."""
    width, height = size
    palettes = {
        "studio": ((70, 60, 60), (30, 25, 25), (200, 190, 180)),
        "sunset": ((120, 150, 250), (90, 60, 140), (150, 220, 255)),
        "night": ((80, 30, 20), (30, 10, 10), (255, 200, 120)),
        "office": ((215, 225, 230), (160, 170, 180), (255, 255, 255)),
    }
    top, bottom, light = palettes[name]
    image = _gradient(size, top, bottom).astype(np.float32)
    rng = np.random.default_rng(BUILTIN_BACKDROPS.index(name))
    glow: Image = np.zeros((height, width, 3), np.float32)
    for _ in range(18):
        center = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        radius = int(rng.uniform(0.02, 0.06) * width)
        cv2.circle(glow, center, radius, tuple(c * 0.3 for c in light), -1, cv2.LINE_AA)
    glow = cv2.GaussianBlur(glow, (0, 0), width / 120)
    return np.clip(image + glow, 0, 255).astype(np.uint8)


@lru_cache(maxsize=8)
def backdrop(name_or_path: str, width: int, height: int) -> Image:
    """A built-in backdrop or an image file, resized to cover ``width`` × ``height``."""
    if name_or_path in BUILTIN_BACKDROPS:
        image = _backdrop(name_or_path, (width, height))
    else:
        loaded = cv2.imread(str(Path(name_or_path).expanduser()), cv2.IMREAD_COLOR)
        if loaded is None:
            raise FileNotFoundError(f"cannot read background image {name_or_path!r}")
        image = _cover(loaded, width, height)
    image.flags.writeable = False
    return image


def _cover(image: Image, width: int, height: int) -> Image:
    scale = max(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)  # fmt: skip
    y0 = (resized.shape[0] - height) // 2
    x0 = (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[y0 : y0 + height, x0 : x0 + width])


IMAGE_TYPES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class BackgroundReplace(VideoFilter):
    id = "background.replace"
    name = "Background replacement"
    category = Category.BACKGROUND
    description = "Puts you in front of another picture: built-in scenes or your own image."
    tags = ("background", "replace", "virtual background")
    premium = True
    price_coins = 40
    needs = ("person_mask",)
    folds_colour_maps = True
    params: ClassVar[tuple[Param, ...]] = (
        file("image", "Background", "studio", IMAGE_TYPES),
        scalar("edge", "Edge softness", 40.0, 0.0, 100.0, 1.0, "%"),
        amount("opacity", "Opacity", 100.0),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        height, width = frame.shape[:2]
        scene = backdrop(self.text("image"), width, height)
        keep = person_alpha(ctx, max(self.number("edge") / 100.0, 0.05), self.fraction("opacity"))
        return composite_behind(ctx.writable(frame), scene, keep, _folded_grade(ctx))


class ChromaKey(VideoFilter):
    """Keys out a backdrop colour in the CrCb plane, suppresses colour spill on the subject
    and puts a scene (or a flat colour) behind.

    Matte and despill depend on a pixel's chroma only, so both come from one table of the
    65,536 (Cr, Cb) pairs, built when a parameter changes: per frame that is a colour
    conversion, one lookup and a uint8 composite.
    """

    id = "background.chroma_key"
    name = "Green screen"
    category = Category.BACKGROUND
    description = "Chroma key with adjustable key colour, tolerance, softness and spill removal."
    tags = ("background", "green screen", "chroma key", "keying")
    params: ClassVar[tuple[Param, ...]] = (
        color("key", "Key colour", "#00ff00"),
        scalar("similarity", "Tolerance", 10.0, 0.0, 100.0, 1.0, "%"),
        scalar("smoothness", "Edge softness", 80.0, 0.0, 100.0, 1.0, "%"),
        scalar("spill", "Spill suppression", 60.0, 0.0, 100.0, 1.0, "%"),
        choice("replace_with", "Replace with", "image", ("image", "color")),
        file("image", "Background", "studio", IMAGE_TYPES),
        color("fill", "Fill colour", "#202020"),
        amount("opacity", "Opacity", 100.0),
    )

    _table: NDArray[np.uint32] | None = None

    def changed(self, names: set[str]) -> None:
        if names & {"key", "similarity", "smoothness", "spill", "opacity"}:
            self._table = None

    def table(self) -> NDArray[np.uint32]:
        """The keying table for the current values (see ``_key_table``)."""
        if self._table is None:
            self._table = _key_table(
                _key_chroma(hex_to_bgr(self.text("key"))),
                self.number("similarity") / 100.0,
                self.number("smoothness") / 100.0,
                self.number("spill") / 100.0,
                self.fraction("opacity"),
            )
        return self._table

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        height, width = frame.shape[:2]
        ycrcb = cv2.cvtColor(frame, cv2.COLOR_BGR2YCrCb)
        chroma = np.empty((height, width, 2), np.uint8)
        cv2.mixChannels([ycrcb], [chroma], [1, 0, 2, 1])
        keyed = np.take(self.table(), chroma.view("<u2")[..., 0]).view(np.uint8)
        keyed = keyed.reshape(height, width, 4)  # keep, Cr', Cb', unused
        keep = np.empty((height, width), np.uint8)
        cv2.mixChannels([ycrcb, keyed], [ycrcb, keep], [4, 1, 5, 2, 3, 3])
        subject = cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2BGR)
        if self.text("replace_with") == "color":
            scene: Image = np.full_like(frame, hex_to_bgr(self.text("fill")))
        else:
            scene = backdrop(self.text("image"), width, height)
        return composite_behind(subject, scene, keep)


def _key_chroma(bgr: tuple[int, int, int]) -> NDArray[np.float32]:
    pixel = cv2.cvtColor(np.array([[bgr]], np.uint8), cv2.COLOR_BGR2YCrCb)[0, 0]
    chroma: NDArray[np.float32] = pixel[1:].astype(np.float32) - 128.0
    return chroma


def _key_table(
    key: NDArray[np.float32], similarity: float, smoothness: float, spill: float, opacity: float
) -> NDArray[np.uint32]:
    """``(65536,)`` little-endian uint32 for chroma ``Cr | Cb << 8``: bytes keep (0..255),
    despilled Cr and Cb.

    The matte is a colour-difference key: a pixel's chroma projected on the key's direction,
    as a fraction of the key's own, is how much backdrop it holds (exactly ``1 - alpha`` for
    an edge pixel mixing a neutral subject with the backdrop). Keep is 0 from
    ``1 - similarity`` of the key upwards and rises linearly to 1 over ``smoothness``.
    Despill removes that key component at ``spill`` strength on the subject and fully
    where the matte is transparent, so edge pixels lose their key-coloured fringe.
    """
    levels = np.arange(256, dtype=np.float32) - 128.0
    cb, cr = np.meshgrid(levels, levels, indexing="ij")  # row = Cb, column = Cr
    chroma = np.stack([cr, cb], axis=-1).reshape(-1, 2)
    reach = float(np.linalg.norm(key)) + 1e-3
    direction = key / reach
    towards_key = np.clip(chroma @ direction, 0.0, None)
    backdrop_share = towards_key / reach
    matte = np.clip((1.0 - similarity - backdrop_share) / max(smoothness, 0.01), 0.0, 1.0)
    strength = np.maximum(spill, 1.0 - matte)
    cleaned = chroma - (towards_key * strength)[:, None] * direction + 128.0
    keep = (1.0 - (1.0 - matte) * opacity) * 255.0
    cr_out, cb_out, keep_out = (
        np.clip(np.rint(plane), 0, 255).astype("<u4") for plane in (*cleaned.T, keep)
    )
    table: NDArray[np.uint32] = keep_out | (cr_out << 8) | (cb_out << 16)
    return table
