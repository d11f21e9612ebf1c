"""Background effects: blur, replacement with an image, and green screen (chroma key)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from filters.base import Category, VideoFilter
from filters.context import FrameContext
from filters.params import Param, amount, choice, color, file, hex_to_bgr, scalar
from filters.types import Image, Mask
from filters.video.common import blend

BLUR_WORK_SCALE = 4
BUILTIN_BACKDROPS = ("studio", "sunset", "night", "office")


def _blurred(frame: Image, sigma: float) -> Image:
    """A strong blur computed at 1/``BLUR_WORK_SCALE`` size and upsampled."""
    height, width = frame.shape[:2]
    small_size = (max(1, width // BLUR_WORK_SCALE), max(1, height // BLUR_WORK_SCALE))
    small = cv2.resize(frame, small_size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(0.5, sigma / BLUR_WORK_SCALE))
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _person_alpha(ctx: FrameContext, edge: float) -> Mask:
    """Person mask at frame size with its edge tightened and softened by ``edge`` (0..1)."""
    mask = ctx.person_mask()
    low, high = 0.5 - 0.4 * edge, 0.5 + 0.4 * edge
    return np.clip((mask - low) * (1.0 / max(high - low, 1e-3)), 0.0, 1.0)


class BackgroundBlur(VideoFilter):
    id = "background.blur"
    name = "Background blur"
    category = Category.BACKGROUND
    description = "Blurs everything behind you; you stay sharp."
    tags = ("background", "blur", "bokeh", "privacy")
    needs = ("person_mask",)
    params: ClassVar[tuple[Param, ...]] = (
        amount("strength", "Blur", 60.0),
        scalar("edge", "Edge softness", 50.0, 0.0, 100.0, 1.0, "%"),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        sigma = 2.0 + self.fraction("strength") * 0.03 * frame.shape[0]
        alpha = _person_alpha(ctx, max(self.number("edge") / 100.0, 0.05))
        return blend(_blurred(frame, sigma), frame, alpha)


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
    params: ClassVar[tuple[Param, ...]] = (
        file("image", "Background", "studio", IMAGE_TYPES),
        scalar("edge", "Edge softness", 40.0, 0.0, 100.0, 1.0, "%"),
        amount("opacity", "Opacity", 100.0),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        height, width = frame.shape[:2]
        scene = backdrop(self.text("image"), width, height)
        alpha = _person_alpha(ctx, max(self.number("edge") / 100.0, 0.05))
        keep = 1.0 - (1.0 - alpha) * self.fraction("opacity")
        return blend(scene, frame, keep)


class ChromaKey(VideoFilter):
    """Keys out a backdrop colour in the CrCb plane, suppresses colour spill on the subject
    and puts a scene (or a flat colour) behind."""

    id = "background.chroma_key"
    name = "Green screen"
    category = Category.BACKGROUND
    description = "Chroma key with adjustable key colour, tolerance, softness and spill removal."
    tags = ("background", "green screen", "chroma key", "keying")
    params: ClassVar[tuple[Param, ...]] = (
        color("key", "Key colour", "#00ff00"),
        scalar("similarity", "Tolerance", 40.0, 0.0, 100.0, 1.0, "%"),
        scalar("smoothness", "Edge softness", 20.0, 0.0, 100.0, 1.0, "%"),
        scalar("spill", "Spill suppression", 60.0, 0.0, 100.0, 1.0, "%"),
        choice("replace_with", "Replace with", "image", ("image", "color")),
        file("image", "Background", "studio", IMAGE_TYPES),
        color("fill", "Fill colour", "#202020"),
        amount("opacity", "Opacity", 100.0),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        height, width = frame.shape[:2]
        ycrcb = cv2.cvtColor(frame, cv2.COLOR_BGR2YCrCb)
        chroma = ycrcb[..., 1:].astype(np.float32) - 128.0
        key = _key_chroma(hex_to_bgr(self.text("key")))
        distance = np.sqrt(((chroma - key) ** 2).sum(axis=2))
        reach = float(np.linalg.norm(key)) + 1e-3
        tolerance = self.number("similarity") / 100.0 * reach
        softness = max(self.number("smoothness") / 100.0 * reach * 0.5, 1.0)
        alpha = np.clip((distance - tolerance) / softness, 0.0, 1.0)
        subject = _suppress_spill(ycrcb, chroma, key, self.number("spill") / 100.0)
        if self.text("replace_with") == "color":
            scene: Image = np.full_like(frame, hex_to_bgr(self.text("fill")))
        else:
            scene = backdrop(self.text("image"), width, height)
        keep = 1.0 - (1.0 - alpha) * self.fraction("opacity")
        return blend(scene, subject, keep)


def _key_chroma(bgr: tuple[int, int, int]) -> np.ndarray:
    pixel = cv2.cvtColor(np.array([[bgr]], np.uint8), cv2.COLOR_BGR2YCrCb)[0, 0]
    return pixel[1:].astype(np.float32) - 128.0


def _suppress_spill(ycrcb: Image, chroma: np.ndarray, key: np.ndarray, strength: float) -> Image:
    """Remove the key colour's component from every pixel's chroma (towards grey)."""
    if strength <= 0:
        return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2BGR)
    direction = key / (float(np.linalg.norm(key)) + 1e-6)
    towards_key = np.clip(chroma @ direction, 0.0, None)
    cleaned = chroma - (towards_key * strength)[..., None] * direction
    out = ycrcb.copy()
    out[..., 1:] = np.clip(cleaned + 128.0, 0, 255).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_YCrCb2BGR)
