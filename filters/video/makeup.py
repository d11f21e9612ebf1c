"""Makeup: lipstick, eyeshadow, blush, eyeliner, foundation and contour.

Each is a landmark polygon (or stroke, or blob) rasterised in a small region, feathered, and
blended with a colour mode that keeps the skin's texture and shading.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import cv2
import numpy as np

from filters import landmarks as lm
from filters.base import Category, VideoFilter
from filters.context import Face, FrameContext
from filters.params import Param, amount, choice, color, hex_to_bgr, scalar
from filters.types import Image, Mask, Points, Vectors
from filters.video.beauty import face_region
from filters.video.common import (
    SUBPIXEL,
    SUBPIXEL_BITS,
    Region,
    apply_in_region,
    blend,
    blend_u8,
    feather,
    feather_u8,
    multiply,
    polygon_mask,
    recolor_lab,
    scaled,
    skin_mask,
    soft_light,
)


class _Makeup(VideoFilter):
    """Shared loop: for every face, a region, a mask and a coloured layer to blend in."""

    category = Category.MAKEUP
    needs: ClassVar[tuple[str, ...]] = ("face",)

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        out = frame
        for face in ctx.faces:
            out = self.paint(out, ctx, face)
        return out

    @abstractmethod
    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        """``frame`` with the makeup applied to ``face``."""


class Lipstick(_Makeup):
    id = "makeup.lipstick"
    name = "Lipstick"
    description = "Any lip colour; keeps the lips' own shine and texture. Teeth stay white."
    tags = ("makeup", "lips", "lipstick", "color")
    params: ClassVar[tuple[Param, ...]] = (
        color("color", "Colour", "#c8274a"),
        amount("intensity", "Intensity", 60.0),
        choice("finish", "Finish", "satin", ("satin", "matte", "gloss")),
    )

    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        outer = face.at(lm.LIPS_OUTER)
        pad = face.width * 0.04
        region = Region.around(outer, pad, ctx.width, ctx.height)
        if region.empty:
            return frame
        lips = polygon_mask(region.size, [region.local(outer)])
        mouth = polygon_mask(region.size, [region.local(face.at(lm.LIPS_INNER))])
        mask = feather(cv2.subtract(lips, mouth), max(1.0, face.width * 0.006))
        patch = region.crop(frame)
        finish = self.text("finish")
        colored = recolor_lab(patch, hex_to_bgr(self.text("color")), LIP_LIGHTNESS[finish])
        if finish == "gloss":
            colored = _add_gloss(patch, colored)
        elif finish == "matte":
            colored = cv2.GaussianBlur(colored, (0, 0), max(0.8, face.width * 0.004))
        weight = mask * self.fraction("intensity")
        return apply_in_region(frame, region, blend(patch, colored, weight), ctx)


LIP_LIGHTNESS = {"matte": 0.65, "satin": 0.75, "gloss": 0.85}
"""How much of the lips' own lightness each finish keeps (the rest is the colour's)."""


def _add_gloss(original: Image, colored: Image) -> Image:
    """Brighten where the original lips have specular highlights."""
    gray = cv2.cvtColor(original, cv2.COLOR_BGR2GRAY)
    threshold = float(np.percentile(gray, 85))
    shine = np.clip((gray.astype(np.float32) - threshold) / max(255.0 - threshold, 1.0), 0, 1)
    white = np.full_like(colored, 255)
    return blend(colored, white, cv2.GaussianBlur(shine, (0, 0), 1.5) * 0.8)


class Eyeshadow(_Makeup):
    id = "makeup.eyeshadow"
    name = "Eyeshadow"
    description = "Colour on the upper lids, fading towards the brows."
    tags = ("makeup", "eyes", "eyeshadow", "color")
    needs = ("face", "refined")
    params: ClassVar[tuple[Param, ...]] = (
        color("color", "Colour", "#8a4f7d"),
        amount("intensity", "Intensity", 45.0),
        scalar("height", "Height", 0.55, 0.2, 0.9, 0.05, "× lid to brow"),
    )

    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        shapes = [
            _lid_band(face.at(lid), face.at(brow), self.number("height"))
            for lid, brow in (
                (lm.RIGHT_UPPER_LID, lm.RIGHT_BROW_LOWER),
                (lm.LEFT_UPPER_LID, lm.LEFT_BROW_LOWER[::-1]),
            )
        ]
        return _paint_shapes(
            frame, ctx, face, shapes, hex_to_bgr(self.text("color")),
            self.fraction("intensity"), sigma=face.width * 0.02, mode="multiply",
        )  # fmt: skip


def _lid_band(lid: Points, brow: Points, height: float) -> Points:
    """Polygon from the upper lid up to ``height`` of the way to the brow (outer → inner)."""
    t_lid = np.linspace(0.0, 1.0, len(lid))
    t_brow = np.linspace(0.0, 1.0, len(brow))
    brow_at = np.stack([np.interp(t_lid, t_brow, brow[:, i]) for i in range(2)], axis=1)
    top = lid + (brow_at - lid) * height
    band: Points = np.concatenate([lid, top[::-1]]).astype(np.float32)
    return band


def _paint_shapes(
    frame: Image,
    ctx: FrameContext,
    face: Face,
    shapes: list[Points],
    bgr: tuple[int, int, int],
    intensity: float,
    sigma: float,
    mode: str,
) -> Image:
    pad = sigma * 3.0 + 2.0
    region = Region.around(np.concatenate(shapes), pad, ctx.width, ctx.height)
    if region.empty:
        return frame
    mask = feather_u8(polygon_mask(region.size, [region.local(s) for s in shapes]), sigma)
    patch = region.crop(frame)
    layer = multiply(patch, bgr) if mode == "multiply" else soft_light(patch, bgr)
    out = ctx.writable(frame)
    blend_u8(patch, layer, scaled(mask, intensity), dst=region.crop(out))
    return out


class Eyeliner(_Makeup):
    id = "makeup.eyeliner"
    name = "Eyeliner"
    description = "A line along the upper lash line with an optional wing."
    tags = ("makeup", "eyes", "eyeliner", "wing")
    needs = ("face", "refined")
    params: ClassVar[tuple[Param, ...]] = (
        color("color", "Colour", "#1a1414"),
        amount("intensity", "Intensity", 85.0),
        scalar("thickness", "Thickness", 1.0, 0.3, 3.0, 0.1, "×"),
        scalar("wing", "Wing length", 0.6, 0.0, 1.5, 0.05, "×"),
    )

    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        strokes = [_liner(face.at(lid), self.number("wing")) for lid in
                   (lm.RIGHT_UPPER_LID, lm.LEFT_UPPER_LID)]  # fmt: skip
        thickness = max(1.0, face.width * 0.008 * self.number("thickness"))
        region = Region.around(np.concatenate(strokes), thickness * 3, ctx.width, ctx.height)
        if region.empty:
            return frame
        mask = np.zeros((region.size[1], region.size[0]), np.uint8)
        for stroke in strokes:
            _tapered_stroke(mask, region.local(stroke), thickness)
        weight = scaled(feather_u8(mask, 0.6), self.fraction("intensity"))
        patch = region.crop(frame)
        ink = np.full_like(patch, hex_to_bgr(self.text("color")))
        out = ctx.writable(frame)
        blend_u8(patch, ink, weight, dst=region.crop(out))
        return out


def _liner(lid: Points, wing: float) -> Points:
    """The upper lid (outer → inner) with a wing extending from the outer corner."""
    outer, inner = lid[0], lid[-1]
    direction = outer - inner
    length = float(np.linalg.norm(direction))
    unit = direction / max(length, 1e-6)
    up = np.array([unit[1], -unit[0]], np.float32) * np.sign(unit[0] or 1.0)
    tip = outer + (unit * 0.9 + up * 0.5) * length * 0.3 * wing
    return np.concatenate([tip[None, :], lid]).astype(np.float32) if wing > 0 else lid


def _tapered_stroke(mask: Mask, points: Points, thickness: float) -> None:
    """Draw a polyline thickest in the middle-outer part and thin at both ends."""
    t = np.arange(len(points) - 1) / max(len(points) - 2, 1)
    widths = thickness * (0.35 + 0.65 * np.sin(np.pi * np.minimum(1.0, 0.25 + t * 0.9)))
    thick = np.maximum(np.round(widths), 1).astype(int).tolist()
    ends = np.round(points * SUBPIXEL).astype(int).tolist()
    for start, stop, width in zip(ends[:-1], ends[1:], thick, strict=True):
        cv2.line(mask, tuple(start), tuple(stop), (255,), width, cv2.LINE_AA, SUBPIXEL_BITS)


class Blush(_Makeup):
    id = "makeup.blush"
    name = "Blush"
    description = "Soft colour on the apples of the cheeks."
    tags = ("makeup", "cheeks", "blush", "color")
    params: ClassVar[tuple[Param, ...]] = (
        color("color", "Colour", "#e8677c"),
        amount("intensity", "Intensity", 40.0),
        scalar("size", "Size", 1.0, 0.5, 1.6, 0.05, "×"),
    )

    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        radius = face.width * 0.13 * self.number("size")
        shapes = [_ellipse(face.points[i], radius, radius * 0.7, face.roll)
                  for i in (lm.RIGHT_CHEEK, lm.LEFT_CHEEK)]  # fmt: skip
        return _paint_shapes(
            frame, ctx, face, shapes, hex_to_bgr(self.text("color")),
            self.fraction("intensity"), sigma=radius * 0.45, mode="soft_light",
        )  # fmt: skip


def _ellipse(center: Vectors, rx: float, ry: float, angle: float) -> Points:
    t = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    local = np.stack([rx * np.cos(t), ry * np.sin(t)], axis=1)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    ellipse: Points = (local @ rotation.T + center).astype(np.float32)
    return ellipse


class Foundation(_Makeup):
    """Evens skin tone: skin moves towards its own smoothed tone tinted by the shade."""

    id = "makeup.foundation"
    name = "Foundation"
    description = "Even skin tone with adjustable coverage and shade."
    tags = ("makeup", "skin", "foundation", "tone")
    params: ClassVar[tuple[Param, ...]] = (
        color("shade", "Shade", "#e9c2a6"),
        amount("coverage", "Coverage", 40.0),
    )

    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        region = face_region(ctx, face)
        if region.empty:
            return frame
        patch = region.crop(frame)
        layer = even_tone(patch, hex_to_bgr(self.text("shade")))
        weight = scaled(skin_mask(ctx, face, region), self.fraction("coverage") * 0.8)
        out = ctx.writable(frame)
        blend_u8(patch, layer, weight, dst=region.crop(out))
        return out


def even_tone(patch: Image, shade: tuple[int, int, int]) -> Image:
    """``patch`` towards an even tone: its blotchy low frequencies move to a flat tone tinted
    by ``shade``."""
    tone = cv2.GaussianBlur(
        cv2.resize(patch, (32, 32), interpolation=cv2.INTER_AREA), (0, 0), 3
    ).astype(np.float32)
    target = tone.mean(axis=(0, 1)) * 0.6 + np.array(shade, np.float32) * 0.4
    height, width = patch.shape[:2]
    delta = cv2.resize(target - tone, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.add(patch, delta, dtype=cv2.CV_8U)


class Contour(_Makeup):
    """Shadow under the cheekbones, along the jaw and nose sides; highlight on top."""

    id = "makeup.contour"
    name = "Contour"
    description = "Sculpting shadows and highlights that follow the face."
    tags = ("makeup", "contour", "highlight", "sculpt")
    params: ClassVar[tuple[Param, ...]] = (
        amount("intensity", "Intensity", 40.0),
        color("shadow", "Shadow", "#8c6450"),
        color("highlight", "Highlight", "#fff2e6"),
    )

    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        region = face_region(ctx, face)
        if region.empty:
            return frame
        width = max(2, round(face.width * 0.06))
        shadow = _strokes(
            region,
            [
                face.at(lm.RIGHT_CHEEK_HOLLOW),
                face.at(lm.LEFT_CHEEK_HOLLOW),
                face.at(lm.RIGHT_NOSE_SIDE),
                face.at(lm.LEFT_NOSE_SIDE),
            ],
            width,
        )
        bones = [face.at((bone,)) for bone in (lm.RIGHT_CHEEKBONE, lm.LEFT_CHEEKBONE)]
        highlight = _strokes(region, [face.at(lm.NOSE_RIDGE), *bones], width)
        sigma = face.width * 0.035
        skin = skin_mask(ctx, face, region)
        intensity = self.fraction("intensity")
        # Both masks feathered in one pass, as the two channels of one image.
        soft_shadow, soft_highlight = cv2.split(feather_u8(cv2.merge([shadow, highlight]), sigma))
        shadow_weight = cv2.multiply(soft_shadow, skin, scale=intensity * 0.8 / 255)
        highlight_weight = cv2.multiply(soft_highlight, skin, scale=intensity / 255)
        patch = region.crop(frame)
        dark = blend_u8(patch, multiply(patch, hex_to_bgr(self.text("shadow"))), shadow_weight)
        light = soft_light(dark, hex_to_bgr(self.text("highlight")))
        out = ctx.writable(frame)
        blend_u8(dark, light, highlight_weight, dst=region.crop(out))
        return out


def _strokes(region: Region, lines: list[Points], width: int) -> Mask:
    mask = np.zeros((region.size[1], region.size[0]), np.uint8)
    for line in lines:
        points = np.round(region.local(line) * SUBPIXEL).astype(np.int32)
        if len(points) == 1:
            center = (int(points[0][0]), int(points[0][1]))
            cv2.circle(mask, center, width * SUBPIXEL, (255,), -1, cv2.LINE_AA, SUBPIXEL_BITS)
        else:
            cv2.polylines(mask, [points], False, (255,), width, cv2.LINE_AA, SUBPIXEL_BITS)
    return mask
