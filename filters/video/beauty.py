"""Beauty: skin smoothing, face brightening, skin whitening (all limited to the face)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

import cv2
import numpy as np

from filters.base import Category, VideoFilter
from filters.context import Face, FrameContext
from filters.params import Param, amount
from filters.types import Image, Mask, Table
from filters.video.common import Region, blend_u8, lift, scaled, skin_mask

SMOOTH_WORK_WIDTH = 96
DETAIL_KEPT = 0.2


def face_region(ctx: FrameContext, face: Face, margin: float = 0.08) -> Region:
    return Region(*face.roi(margin, ctx.width, ctx.height))


class SkinSmoothing(VideoFilter):
    """Edge-preserving smoothing (guided filter) computed at reduced size, on skin only."""

    id = "beauty.smooth"
    name = "Skin smoothing"
    category = Category.BEAUTY
    description = "Softens skin texture and blemishes while eyes, brows and lips stay sharp."
    tags = ("beauty", "skin", "smooth", "soft")
    needs = ("face",)
    params: ClassVar[tuple[Param, ...]] = (
        amount("amount", "Smoothing", 60.0, "0 = off, 100 = strongest"),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        out = frame
        for face in ctx.faces:
            out = self._smooth(out, ctx, face)
        return out

    def _smooth(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        region = face_region(ctx, face)
        if region.empty:
            return frame
        patch = region.crop(frame)
        width, height = region.size
        scale = min(1.0, SMOOTH_WORK_WIDTH / width)
        small_size = (max(8, round(width * scale)), max(8, round(height * scale)))
        # Bilinear, not area: the guided filter smooths the aliasing away, for a third of the cost.
        small = cv2.resize(patch, small_size, interpolation=cv2.INTER_LINEAR)
        radius = max(2, round(small_size[0] * 0.03))
        guide = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        smooth = cv2.ximgproc.guidedFilter(guide, small, radius, (0.06 * 255) ** 2)
        smoothed = cv2.resize(smooth, region.size, interpolation=cv2.INTER_LINEAR)
        share = self.fraction("amount") * (1.0 - DETAIL_KEPT)
        weight = scaled(skin_mask(ctx, face, region), share)
        out = ctx.writable(frame)
        target = region.crop(out)
        blend_u8(target, smoothed, weight, dst=target)
        return out


class Brighten(VideoFilter):
    """Lifts the mid-tones of the face and neck with a soft falloff (a face light)."""

    id = "beauty.brighten"
    name = "Brightness"
    category = Category.BEAUTY
    description = "A soft light on the face: brighter mid-tones, highlights kept."
    tags = ("beauty", "brightness", "light", "glow")
    needs = ("face",)
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Brightness", 40.0),)

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        out = frame
        raise_by = _lift_curve(self.fraction("amount") * 0.6)
        for face in ctx.faces:
            region = face_region(ctx, face, margin=0.35)
            if region.empty:
                continue
            out = ctx.writable(out)
            lift(region.crop(out), raise_by, _face_light(face, region))
        return out


@lru_cache(maxsize=8)
def _lift_curve(strength: float) -> Table:
    """How much a tone curve raising mid-tones by up to ``strength`` (0..1), with fixed end
    points, raises each level (a ``(256,)`` uint8 table for ``lift``)."""
    x = np.arange(256, dtype=np.float32) / 255.0
    gamma = 1.0 / (1.0 + 1.2 * strength)
    curve = np.clip(np.power(x, gamma) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return curve - np.arange(256, dtype=np.uint8)


LIGHT_SIZE = 64
LIGHT_WORK_SCALE = 4
"""The face light is smooth: it is drawn at 1/4 of the region size and upsampled."""


def _unit_light() -> Mask:
    """A ``LIGHT_SIZE`` square soft disc (uint8): 255 in the middle, 0 at the inscribed
    circle."""
    axis = np.linspace(-1.0, 1.0, LIGHT_SIZE, dtype=np.float32)
    dist = axis[:, None] ** 2 + axis[None, :] ** 2
    return (np.clip(1.0 - dist, 0.0, 1.0) ** 1.5 * 255.0 + 0.5).astype(np.uint8)


UNIT_LIGHT = _unit_light()


def _face_light(face: Face, region: Region) -> Mask:
    """The unit light (uint8) stretched over the face, centred on the nose tip, inside
    ``region``."""
    cx, cy = region.local(face.points[[1]])[0]
    x0, y0, x1, y1 = face.bbox
    rx, ry = (x1 - x0) * 0.85, (y1 - y0) * 0.9
    width, height = region.size
    small = (max(2, width // LIGHT_WORK_SCALE), max(2, height // LIGHT_WORK_SCALE))
    sx, sy = small[0] / width, small[1] / height
    half = LIGHT_SIZE / 2.0
    # Maps region pixels (at 1/4) to unit-light pixels; the inverse of the stretch.
    matrix = np.array(
        [[rx / half * sx, 0, (cx - rx) * sx], [0, ry / half * sy, (cy - ry) * sy]], np.float32
    )
    light = cv2.warpAffine(UNIT_LIGHT, matrix, small, flags=cv2.INTER_LINEAR)
    return cv2.resize(light, region.size, interpolation=cv2.INTER_LINEAR)


class Whiten(VideoFilter):
    """Brighter, less yellow skin (LAB lightness up, b* towards neutral), on skin only."""

    id = "beauty.whiten"
    name = "Skin whitening"
    category = Category.BEAUTY
    description = "Evens and brightens skin tone; eyes, brows and lips untouched."
    tags = ("beauty", "skin", "whitening", "tone")
    needs = ("face",)
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Whitening", 35.0),)

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        out = frame
        raise_by = _whiten_curves(self.fraction("amount"))
        for face in ctx.faces:
            region = face_region(ctx, face)
            if region.empty:
                continue
            out = ctx.writable(out)
            lift(region.crop(out), raise_by, skin_mask(ctx, face, region))
        return out


WHITEN_LIFT = (0.42, 0.34, 0.28)
"""Per-channel (B, G, R) lift towards white at full strength: more blue, less yellow."""


@lru_cache(maxsize=8)
def _whiten_curves(strength: float) -> Table:
    """How much per-channel curves lifting values towards 255 with a soft shoulder raise
    each level: a ``(256, 1, 3)`` uint8 table for ``lift``."""
    x = np.arange(256, dtype=np.float32)
    lifts = [(255.0 - x) * share * strength * (x / 255.0) ** 0.5 for share in WHITEN_LIFT]
    curves = np.clip(x[:, None] + np.stack(lifts, axis=-1) + 0.5, 0, 255).astype(np.uint8)
    raise_by: Table = (curves - np.arange(256, dtype=np.uint8)[:, None])[:, None, :]
    return raise_by
