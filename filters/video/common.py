"""Small image helpers shared by the video effects: regions, masks, blending."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from filters import landmarks as lm
from filters.context import Face, FrameContext
from filters.types import ColourMap, Image, Mask, Points, Table, Vectors

SUBPIXEL_BITS = 4
SUBPIXEL = 1 << SUBPIXEL_BITS


@dataclass(frozen=True)
class Region:
    """A rectangle of the frame, ``(x0, y0, x1, y1)``, and helpers to work inside it."""

    x0: int
    y0: int
    x1: int
    y1: int

    @classmethod
    def around(cls, points: Points, pad: float, width: int, height: int) -> Region:
        """The box around ``points`` grown by ``pad`` pixels, clipped to the frame."""
        x0, y0 = points.min(axis=0) - pad
        x1, y1 = points.max(axis=0) + pad
        return cls(
            max(int(x0), 0), max(int(y0), 0), min(int(np.ceil(x1)), width),
            min(int(np.ceil(y1)), height),
        )  # fmt: skip

    @property
    def size(self) -> tuple[int, int]:
        return self.x1 - self.x0, self.y1 - self.y0

    @property
    def empty(self) -> bool:
        return self.x1 <= self.x0 or self.y1 <= self.y0

    def crop(self, image: Image) -> Image:
        return image[self.y0 : self.y1, self.x0 : self.x1]

    def local(self, points: Points) -> Points:
        return (points - np.array([self.x0, self.y0], np.float32)).astype(np.float32)


def polygon_mask(size: tuple[int, int], polygons: list[Points], scale: float = 1.0) -> Mask:
    """A uint8 mask (``size`` = w, h) with the polygons filled at sub-pixel precision."""
    mask = np.zeros((size[1], size[0]), np.uint8)
    contours = [np.round(p * scale * SUBPIXEL).astype(np.int32) for p in polygons]
    cv2.fillPoly(mask, contours, (255,), cv2.LINE_AA, SUBPIXEL_BITS)
    return mask


FEATHER_SIGMA_AT_FULL_SIZE = 3.0


def feather(mask: Mask, sigma: float) -> Mask:
    """A float32 0..1 copy of ``mask`` blurred by ``sigma`` pixels (wide blurs are computed
    on a downscaled copy, which looks the same and costs a fraction)."""
    soft = mask.astype(np.float32) * (1.0 / 255.0) if mask.dtype == np.uint8 else mask
    return _feathered(soft, sigma)


def feather_u8(mask: Mask, sigma: float) -> Mask:
    """``feather`` of a uint8 mask kept in uint8 (255 = 1; within a level of ``feather``),
    for the 8-bit blends."""
    return _feathered(mask, sigma)


def _feathered(soft: Mask, sigma: float) -> Mask:
    if sigma <= 0:
        return soft
    blur = gaussian_u8 if soft.dtype == np.uint8 else _gaussian
    factor = sigma / FEATHER_SIGMA_AT_FULL_SIZE
    height, width = soft.shape[:2]
    if factor <= 1.5 or min(width, height) / factor < 8:
        return blur(soft, sigma)
    small = (max(1, round(width / factor)), max(1, round(height / factor)))
    reduced = cv2.resize(soft, small, interpolation=cv2.INTER_AREA)
    blurred = blur(reduced, FEATHER_SIGMA_AT_FULL_SIZE)
    return cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR)


def _gaussian(image: Image, sigma: float) -> Image:
    return cv2.GaussianBlur(image, (0, 0), sigma)


def gaussian_u8(image: Image, sigma: float) -> Image:
    """``cv2.GaussianBlur(image, (0, 0), sigma)`` for a uint8 image, within two levels: the same
    kernel as two float passes (``sepFilter2D``), which costs a third of OpenCV's bit-exact
    8-bit Gaussian here."""
    size = max(3, round(sigma * 6 + 1) | 1)  # OpenCV's kernel size for 8-bit images
    kernel = cv2.getGaussianKernel(size, sigma)
    return cv2.sepFilter2D(image, -1, kernel, kernel)


def blend(base: Image, layer: Image, alpha: Mask) -> Image:
    """``base`` mixed towards ``layer`` by the float32 0..1 ``(h, w)`` ``alpha``."""
    weight = np.asarray(alpha, np.float32)
    return cv2.blendLinear(layer, base, weight, 1.0 - weight)


def blend_u8(base: Image, layer: Image, alpha: Mask, dst: Image | None = None) -> Image:
    """``base`` mixed towards ``layer`` by the uint8 ``(h, w)`` ``alpha`` (255 = layer), in
    8-bit arithmetic (a third of ``blend``'s cost on a full frame; within one level),
    written into ``dst`` when given (which may be ``base`` or ``layer``)."""
    weight = cv2.cvtColor(alpha, cv2.COLOR_GRAY2BGR)
    front = cv2.multiply(layer, weight, scale=1.0 / 255.0)
    back = cv2.multiply(base, cv2.bitwise_not(weight), scale=1.0 / 255.0)
    return cv2.add(front, back, dst=dst)


def lift(patch: Image, raise_by: Table, alpha: Mask) -> Image:
    """``patch`` (written in place) mixed by the uint8 ``alpha`` (255 = all) towards a tone
    curve that never lowers a value, given as ``raise_by`` (a ``cv2.LUT`` table of curve
    minus identity): ``patch + raise_by[patch] * alpha / 255``, within one level of the
    float blend, in four 8-bit passes (a graded copy and ``blend_u8`` take six)."""
    raised = cv2.multiply(
        cv2.LUT(patch, raise_by), cv2.cvtColor(alpha, cv2.COLOR_GRAY2BGR), scale=1.0 / 255.0
    )
    return cv2.add(patch, raised, dst=patch)


def scaled(mask: Mask, factor: float) -> Mask:
    """A uint8 mask times ``factor`` (0..1), rounded."""
    return cv2.convertScaleAbs(mask, alpha=factor)


COMPOSITE_BAND_ROWS = 60
"""``composite_behind`` classifies the frame in bands of this many rows."""
COMPOSITE_MERGE_COLUMNS = 33
"""Mixed runs of a band closer than this are blended as one (fewer, larger calls)."""


def composite_behind(
    front: Image, back: Image, alpha: Mask, grade: ColourMap | None = None
) -> Image:
    """``front`` put over ``back`` by the uint8 ``alpha`` (255 = front), written into
    ``front``: the pixels of ``blend_u8(back, front, alpha)``, but only the partly
    transparent pixels are blended. A person in front of a background is mostly one or the
    other: ``alpha`` is read in bands of rows, ``back`` is copied into the columns of a band
    where ``alpha`` is all 0 and ``front`` kept where it is all 255.

    With ``grade`` (a look folded into a background effect), ``front`` is graded first,
    only where it shows: the result is that of grading the whole of ``front`` before."""
    lowest, highest = _band_extremes(alpha, COMPOSITE_BAND_ROWS)
    if grade is not None:
        for rows, columns in _column_runs(highest > 0):
            part = front[rows, columns]
            grade(part, dst=part)
    for rows, columns in _column_runs(highest == 0, merge=False):
        cv2.copyTo(back[rows, columns], None, front[rows, columns])  # type: ignore[call-overload]
    for rows, columns in _column_runs((highest > 0) & (lowest < 255)):
        part = front[rows, columns]
        blend_u8(back[rows, columns], part, alpha[rows, columns], dst=part)
    return front


def _column_runs(flagged: NDArray[np.bool_], merge: bool = True) -> list[tuple[slice, slice]]:
    """Rectangles covering the flagged columns of each band (``flagged`` is ``(bands,
    width)``, a band being ``COMPOSITE_BAND_ROWS`` rows of the frame): per band, the runs of
    flagged columns; with ``merge``, runs less than ``COMPOSITE_MERGE_COLUMNS`` apart are
    merged (a rectangle then covers some unflagged columns)."""
    band = COMPOSITE_BAND_ROWS
    padded = np.zeros((flagged.shape[0], flagged.shape[1] + 2), np.bool_)
    padded[:, 1:-1] = flagged
    # Every padded band starts and ends outside a run, so its edges alternate start, stop.
    stride = padded.shape[1] - 1
    edges = np.flatnonzero(padded[:, 1:] != padded[:, :-1])
    if not edges.size:
        return []
    bands, starts = divmod(edges[0::2], stride)
    stops = edges[1::2] % stride
    gap = COMPOSITE_MERGE_COLUMNS if merge else 0
    joined = (bands[1:] == bands[:-1]) & (starts[1:] - stops[:-1] < gap)
    first, last = np.append(True, ~joined), np.append(~joined, True)
    return [
        (slice(index * band, (index + 1) * band), slice(start, stop))
        for index, start, stop in zip(
            bands[first].tolist(), starts[first].tolist(), stops[last].tolist(), strict=True
        )
    ]


def _band_extremes(image: Mask, band: int) -> tuple[Mask, Mask]:
    """Per-column minimum and maximum of each band of ``band`` rows (the last may be
    shorter): two ``(bands, width)`` arrays."""
    whole = image.shape[0] - image.shape[0] % band
    parts = [image[:whole].reshape(-1, band, image.shape[1]), image[None, whole:]]
    parts = [part for part in parts if part.shape[0] and part.shape[1]]
    lowest = np.concatenate([part.min(axis=1) for part in parts])
    highest = np.concatenate([part.max(axis=1) for part in parts])
    return lowest, highest


def apply_in_region(
    frame: Image, region: Region, patch: Image, ctx: FrameContext | None = None
) -> Image:
    """``frame`` with ``region`` replaced by ``patch``: a copy, or with ``ctx`` given,
    ``frame`` itself when it is a copy an earlier filter of the same frame already made
    (``FrameContext.writable``), which saves a full-frame copy per filter in a chain."""
    out = frame.copy() if ctx is None else ctx.writable(frame)
    out[region.y0 : region.y1, region.x0 : region.x1] = patch
    return out


def solid(size: tuple[int, int], bgr: tuple[int, int, int]) -> Image:
    return np.full((size[1], size[0], 3), bgr, np.uint8)


_UNIT: NDArray[np.float32] = np.arange(256, dtype=np.float32)[:, None] / 255.0


def _channel_lut(values: Vectors) -> Table:
    """A ``(256, 1, 3)`` uint8 table for ``cv2.LUT`` from ``(256, 3)`` values in 0..1."""
    return np.clip(values * 255.0 + 0.5, 0, 255).astype(np.uint8)[:, None, :]


def soft_light(base: Image, color: tuple[int, int, int]) -> Image:
    """Soft light of a flat colour over ``base`` (keeps texture and shading)."""
    c: NDArray[np.float32] = np.array(color, np.float32)[None, :] / 255.0
    return cv2.LUT(base, _channel_lut((1.0 - 2.0 * c) * _UNIT**2 + 2.0 * c * _UNIT))


def multiply(base: Image, color: tuple[int, int, int]) -> Image:
    """Multiply blend of a flat colour over ``base``."""
    c = np.array(color, np.float32)[None, :] / 255.0
    return cv2.LUT(base, _channel_lut(_UNIT * c))


def recolor_lab(base: Image, color: tuple[int, int, int], keep_lightness: float) -> Image:
    """``base`` with the colour's hue and chroma; lightness mixes base and colour."""
    lab = cv2.cvtColor(base, cv2.COLOR_BGR2LAB).astype(np.float32)
    target = cv2.cvtColor(np.array([[color]], np.uint8), cv2.COLOR_BGR2LAB)[0, 0]
    target = target.astype(np.float32)
    mean_l = float(lab[..., 0].mean())
    lab[..., 0] = (
        lab[..., 0] - mean_l + (keep_lightness * mean_l + (1 - keep_lightness) * target[0])
    )
    lab[..., 1] = target[1]
    lab[..., 2] = target[2]
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def skin_mask(ctx: FrameContext, face: Face, region: Region) -> Mask:
    """uint8 skin mask (255 = skin) of ``face`` inside ``region``: the face oval without
    eyes, brows and lips, gated by a skin-colour test; shared by every filter of the frame."""
    key = f"skin:{id(face)}:{region}"
    return ctx.shared(key, lambda: _skin_mask(ctx.frame, face, region))


SKIN_WORK_WIDTH = 160
SKIN_YCRCB_LOW = np.array([30, 133, 77], np.uint8)
SKIN_YCRCB_HIGH = np.array([255, 180, 130], np.uint8)


def _skin_mask(frame: Image, face: Face, region: Region) -> Mask:
    width, height = region.size
    scale = min(1.0, SKIN_WORK_WIDTH / max(width, 1))
    small = (max(1, round(width * scale)), max(1, round(height * scale)))
    oval = polygon_mask(small, [region.local(face.at(lm.FACE_OVAL))], scale)
    holes = polygon_mask(
        small,
        [region.local(face.at(group)) for group in
         (lm.RIGHT_EYE, lm.LEFT_EYE, lm.RIGHT_BROW, lm.LEFT_BROW, lm.LIPS_OUTER)],
        scale,
    )  # fmt: skip
    grow = max(1, round(face.width * scale * 0.025))
    holes = cv2.dilate(holes, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2))
    geometric = cv2.subtract(oval, holes)
    ycrcb = cv2.cvtColor(cv2.resize(region.crop(frame), small), cv2.COLOR_BGR2YCrCb)
    skin = cv2.inRange(ycrcb, SKIN_YCRCB_LOW, SKIN_YCRCB_HIGH)
    skin = cv2.morphologyEx(skin, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = gaussian_u8(cv2.min(geometric, skin), max(1.0, grow * 0.8))
    return cv2.resize(mask, region.size, interpolation=cv2.INTER_LINEAR)
