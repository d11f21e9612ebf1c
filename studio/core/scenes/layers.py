"""Putting one layer's picture onto the canvas: crop, scale, rotate, then copy or blend.

:func:`prepare` turns a picture and a transform into a :class:`Placed` layer (the pixels as
they land on the canvas, and where); the compositor keeps it while neither the picture's
pixels nor the transform change, so a still image or a text costs only :func:`draw` per
frame. Opaque pixels are copied; pixels with alpha are blended with integer arithmetic that
leaves alpha 255 and 0 exact, over the rectangle their non-transparent pixels cover. Scaled
pixels of a layer whose picture changes every frame (a camera, a screen) go into a buffer of
a :class:`~studio.core.scenes.buffers.BufferPool` rather than a new array each frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from studio.core.scenes.buffers import BufferPool
from studio.core.scenes.model import Transform
from studio.core.scenes.sources import Mask, Picture
from studio.core.sources import Image

Wide = NDArray[np.uint16]


@dataclass(frozen=True)
class Placed:
    """A layer ready to draw at (x, y) of the canvas (which may clip it)."""

    image: Image
    x: int
    y: int
    weighted: Wide | None = None  # image * alpha, for blending (None: opaque, copy it)
    inverse: Wide | None = None  # 255 - alpha, H x W x 3 (OpenCV's arithmetic does not
    # broadcast one channel over three)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    def covers(self, width: int, height: int) -> bool:
        """Opaque and over the whole of a ``width`` x ``height`` canvas."""
        return (
            self.weighted is None
            and self.x <= 0
            and self.y <= 0
            and self.x + self.width >= width
            and self.y + self.height >= height
        )


def prepare(
    picture: Picture, transform: Transform, buffers: BufferPool | None = None
) -> Placed | None:
    """``picture`` cropped, scaled to the transform's box and rotated (None when the crop
    leaves nothing, or nothing of it is opaque). Scaled pixels go into a buffer of
    ``buffers`` when given (the caller lets go of the layer's previous one first)."""
    image, alpha = _cropped(picture.image, picture.alpha, transform)
    if image.size == 0:
        return None
    size = _box_size(image, transform)
    image = _scaled(image, size, buffers)
    alpha = _scaled(alpha, size) if alpha is not None else None
    image, alpha = _rotated(image, alpha, transform.rotation)
    height, width = image.shape[:2]
    x = round(transform.x + transform.width / 2 - width / 2)
    y = round(transform.y + transform.height / 2 - height / 2)
    if alpha is None:
        return Placed(image, x, y)
    left, top, width, height = cv2.boundingRect(alpha)  # what is not fully transparent
    if width == 0 or height == 0:
        return None
    image = image[top : top + height, left : left + width]
    alpha = alpha[top : top + height, left : left + width]
    inverse = cv2.merge([np.uint16(255) - alpha.astype(np.uint16)] * 3)
    weighted = image.astype(np.uint16) * alpha.astype(np.uint16)[..., None]
    return Placed(image, x + left, y + top, weighted, np.asarray(inverse, np.uint16))


def draw(canvas: Image, placed: Placed) -> None:
    """Draw ``placed`` onto ``canvas`` in place, clipped to the canvas."""
    canvas_h, canvas_w = canvas.shape[:2]
    left, top = max(0, placed.x), max(0, placed.y)
    right = min(canvas_w, placed.x + placed.width)
    bottom = min(canvas_h, placed.y + placed.height)
    if right <= left or bottom <= top:
        return
    rows = slice(top - placed.y, bottom - placed.y)
    cols = slice(left - placed.x, right - placed.x)
    target = canvas[top:bottom, left:right]
    if placed.weighted is None or placed.inverse is None:
        np.copyto(target, placed.image[rows, cols])
        return
    # (image * alpha + canvas * (255 - alpha)) / 255, rounded: in uint16 (at most 65025),
    # divided as float and rounded to the nearest, which is exact here (no sum lands
    # half-way between two multiples of 255).
    mixed = cv2.multiply(target, placed.inverse[rows, cols], dtype=cv2.CV_16U)
    cv2.add(mixed, placed.weighted[rows, cols], dst=mixed)
    cv2.convertScaleAbs(mixed, dst=target, alpha=1.0 / 255.0)


def _box_size(image: Image, t: Transform) -> tuple[int, int]:
    if not t.keep_aspect:
        return t.width, t.height
    height, width = image.shape[:2]
    scale = min(t.width / width, t.height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _cropped(image: Image, alpha: Mask | None, t: Transform) -> tuple[Image, Mask | None]:
    height, width = image.shape[:2]
    rows = slice(min(t.crop_top, height), max(t.crop_top, height - t.crop_bottom))
    cols = slice(min(t.crop_left, width), max(t.crop_left, width - t.crop_right))
    return image[rows, cols], alpha[rows, cols] if alpha is not None else None


def _scaled(
    image: NDArray[np.uint8], size: tuple[int, int], buffers: BufferPool | None = None
) -> NDArray[np.uint8]:
    height, width = image.shape[:2]
    if (width, height) == size:
        return image
    # Area averaging costs ~10x bilinear (3.6 ms for a 720p camera into a corner); it is
    # only worth it where bilinear would visibly alias: shrinking more than 4x.
    shrinking_a_lot = size[0] < width / 4 or size[1] < height / 4
    interpolation = cv2.INTER_AREA if shrinking_a_lot else cv2.INTER_LINEAR
    out = buffers.take((size[1], size[0], *image.shape[2:])) if buffers is not None else None
    return np.asarray(cv2.resize(image, size, dst=out, interpolation=interpolation), np.uint8)


def _rotated(image: Image, alpha: Mask | None, degrees: float) -> tuple[Image, Mask | None]:
    """Rotated clockwise about the centre: quarter turns exactly, other angles onto the
    bounding box with the corners transparent."""
    turns, rest = divmod(degrees % 360.0, 90.0)
    if math.isclose(rest, 0.0, abs_tol=1e-9) or math.isclose(rest, 90.0, abs_tol=1e-9):
        k = -(int(turns) + (1 if rest > 45.0 else 0))
        if k % 4 == 0:
            return image, alpha
        return (
            np.ascontiguousarray(np.rot90(image, k)),
            np.ascontiguousarray(np.rot90(alpha, k)) if alpha is not None else None,
        )
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    box = (math.ceil(width * cos + height * sin), math.ceil(width * sin + height * cos))
    matrix[0, 2] += box[0] / 2 - width / 2
    matrix[1, 2] += box[1] / 2 - height / 2
    opaque = alpha if alpha is not None else np.full((height, width), 255, np.uint8)
    turned = cv2.warpAffine(image, matrix, box, flags=cv2.INTER_LINEAR)
    turned_alpha = cv2.warpAffine(opaque, matrix, box, flags=cv2.INTER_LINEAR)
    return np.asarray(turned, np.uint8), np.asarray(turned_alpha, np.uint8)
