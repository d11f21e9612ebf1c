"""The makeup as it was before it moved to 8-bit blends (float32 masks and ``blend``): the
reference the 8-bit versions are compared with (``test_makeup``)."""

from __future__ import annotations

import numpy as np

from filters import landmarks as lm
from filters.context import Face, FrameContext
from filters.params import hex_to_bgr
from filters.types import Image, Mask, Points
from filters.video.beauty import face_region
from filters.video.common import (
    Region,
    apply_in_region,
    blend,
    feather,
    multiply,
    polygon_mask,
    skin_mask,
    soft_light,
)
from filters.video.makeup import (
    Blush,
    Contour,
    Eyeliner,
    Eyeshadow,
    Foundation,
    _ellipse,
    _lid_band,
    _liner,
    _strokes,
    _tapered_stroke,
    even_tone,
)


def _paint_shapes(
    frame: Image, ctx: FrameContext, shapes: list[Points], bgr: tuple[int, int, int],
    intensity: float, sigma: float, mode: str,
) -> Image:  # fmt: skip
    region = Region.around(np.concatenate(shapes), sigma * 3.0 + 2.0, ctx.width, ctx.height)
    mask = feather(polygon_mask(region.size, [region.local(s) for s in shapes]), sigma)
    patch = region.crop(frame)
    layer = multiply(patch, bgr) if mode == "multiply" else soft_light(patch, bgr)
    return apply_in_region(frame, region, blend(patch, layer, mask * intensity), ctx)


def unit(mask: Mask) -> Mask:
    return mask.astype(np.float32) * np.float32(1.0 / 255.0)


class EyeshadowBefore(Eyeshadow):
    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        height = self.number("height")
        shapes = [
            _lid_band(face.at(lm.RIGHT_UPPER_LID), face.at(lm.RIGHT_BROW_LOWER), height),
            _lid_band(face.at(lm.LEFT_UPPER_LID), face.at(lm.LEFT_BROW_LOWER[::-1]), height),
        ]
        return _paint_shapes(frame, ctx, shapes, hex_to_bgr(self.text("color")),
                             self.fraction("intensity"), face.width * 0.02, "multiply")  # fmt: skip


class BlushBefore(Blush):
    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        radius = face.width * 0.13 * self.number("size")
        shapes = [_ellipse(face.points[i], radius, radius * 0.7, face.roll)
                  for i in (lm.RIGHT_CHEEK, lm.LEFT_CHEEK)]  # fmt: skip
        return _paint_shapes(frame, ctx, shapes, hex_to_bgr(self.text("color")),
                             self.fraction("intensity"), radius * 0.45, "soft_light")  # fmt: skip


class EyelinerBefore(Eyeliner):
    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        strokes = [_liner(face.at(lid), self.number("wing")) for lid in
                   (lm.RIGHT_UPPER_LID, lm.LEFT_UPPER_LID)]  # fmt: skip
        thickness = max(1.0, face.width * 0.008 * self.number("thickness"))
        region = Region.around(np.concatenate(strokes), thickness * 3, ctx.width, ctx.height)
        mask = np.zeros((region.size[1], region.size[0]), np.uint8)
        for stroke in strokes:
            _tapered_stroke(mask, region.local(stroke), thickness)
        weight = feather(mask, 0.6) * self.fraction("intensity")
        patch = region.crop(frame)
        ink = np.full_like(patch, hex_to_bgr(self.text("color")))
        return apply_in_region(frame, region, blend(patch, ink, weight), ctx)


class FoundationBefore(Foundation):
    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        region = face_region(ctx, face)
        patch = region.crop(frame)
        layer = even_tone(patch, hex_to_bgr(self.text("shade")))
        weight = unit(skin_mask(ctx, face, region)) * (self.fraction("coverage") * 0.8)
        return apply_in_region(frame, region, blend(patch, layer, weight), ctx)


class ContourBefore(Contour):
    def paint(self, frame: Image, ctx: FrameContext, face: Face) -> Image:
        region = face_region(ctx, face)
        width = max(2, round(face.width * 0.06))
        hollows = (
            lm.RIGHT_CHEEK_HOLLOW,
            lm.LEFT_CHEEK_HOLLOW,
            lm.RIGHT_NOSE_SIDE,
            lm.LEFT_NOSE_SIDE,
        )
        shadow = _strokes(region, [face.at(points) for points in hollows], width)
        bones = [face.at((bone,)) for bone in (lm.RIGHT_CHEEKBONE, lm.LEFT_CHEEKBONE)]
        highlight = _strokes(region, [face.at(lm.NOSE_RIDGE), *bones], width)
        sigma = face.width * 0.035
        skin = unit(skin_mask(ctx, face, region))
        intensity = self.fraction("intensity")
        patch = region.crop(frame)
        dark = blend(patch, multiply(patch, hex_to_bgr(self.text("shadow"))),
                     feather(shadow, sigma) * skin * intensity * 0.8)  # fmt: skip
        light = soft_light(dark, hex_to_bgr(self.text("highlight")))
        out = blend(dark, light, feather(highlight, sigma) * skin * intensity)
        return apply_in_region(frame, region, out, ctx)
