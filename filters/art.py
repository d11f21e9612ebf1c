"""Procedural artwork for the bundled stickers, masks and particle sprites (BGRA uint8).

Shapes are drawn at 4× size and downsampled, which gives clean anti-aliased edges.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from numpy.typing import ArrayLike

from filters.types import Image, Vectors

SUPERSAMPLE = 4
Canvas = Image


def _canvas(width: int, height: int) -> Canvas:
    return np.zeros((height * SUPERSAMPLE, width * SUPERSAMPLE, 4), np.uint8)


def _finish(canvas: Canvas) -> Image:
    height, width = canvas.shape[0] // SUPERSAMPLE, canvas.shape[1] // SUPERSAMPLE
    return cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA)


def _poly(canvas: Canvas, points: ArrayLike, bgra: tuple[int, int, int, int]) -> None:
    pts = np.round(np.asarray(points) * SUPERSAMPLE).astype(np.int32)
    cv2.fillPoly(canvas, [pts], bgra, cv2.LINE_AA)


def _circle(canvas: Canvas, center: tuple[float, float], radius: float,
            bgra: tuple[int, int, int, int], thickness: int = -1) -> None:  # fmt: skip
    c = (round(center[0] * SUPERSAMPLE), round(center[1] * SUPERSAMPLE))
    cv2.circle(canvas, c, round(radius * SUPERSAMPLE), bgra, thickness, cv2.LINE_AA)


def _vertical_gradient(
    canvas: Canvas, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> None:
    """Recolour the painted pixels with a top→bottom gradient (alpha kept)."""
    height = canvas.shape[0]
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    colors = (1 - ramp) * np.array(top, np.float32) + ramp * np.array(bottom, np.float32)
    painted = canvas[..., 3:4] > 0
    canvas[..., :3] = np.where(painted, colors.astype(np.uint8), canvas[..., :3])


def heart_points(size: float, cx: float, cy: float) -> Vectors:
    t = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    scale = size / 34.0
    return np.stack([cx + x * scale, cy + (y + 1.5) * scale], axis=1)


def heart(size: int = 128, color: tuple[int, int, int] = (92, 60, 255)) -> Image:
    canvas = _canvas(size, size)
    _poly(canvas, heart_points(size * 0.95, size / 2, size / 2), (*color, 255))
    blue, green, red = (min(255, c + 90) for c in color)
    _vertical_gradient(canvas, (blue, green, red), color)
    _circle(canvas, (size * 0.33, size * 0.33), size * 0.08, (255, 255, 255, 200))
    return _finish(canvas)


def star_points(cx: float, cy: float, outer: float, inner: float, tips: int = 5,
                rotation: float = -np.pi / 2) -> Vectors:  # fmt: skip
    angles = rotation + np.arange(tips * 2) * np.pi / tips
    radii = np.where(np.arange(tips * 2) % 2 == 0, outer, inner)
    return np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)


def star(size: int = 128) -> Image:
    canvas = _canvas(size, size)
    _poly(canvas, star_points(size / 2, size / 2 + size * 0.04, size * 0.48, size * 0.2),
          (40, 200, 255, 255))  # fmt: skip
    _vertical_gradient(canvas, (150, 245, 255), (0, 150, 245))
    return _finish(canvas)


def sparkle(size: int = 96) -> Image:
    """A four-point glint with a soft glow."""
    canvas = _canvas(size, size)
    c = size / 2
    _poly(canvas, star_points(c, c, size * 0.48, size * 0.07, tips=4), (235, 255, 255, 255))
    glow: Image = np.zeros(canvas.shape[:2], np.float32)
    cv2.circle(glow, (round(c * SUPERSAMPLE),) * 2, round(size * 0.18 * SUPERSAMPLE), (1.0,), -1)
    glow = cv2.GaussianBlur(glow, (0, 0), size * 0.08 * SUPERSAMPLE)
    canvas[..., 3] = np.maximum(canvas[..., 3], (glow * 200).astype(np.uint8))
    canvas[..., :3] = np.where(canvas[..., 3:4] > 0, (200, 255, 255), 0).astype(np.uint8)
    return _finish(canvas)


def crown(width: int = 512, height: int = 300) -> Image:
    canvas = _canvas(width, height)
    w, h = width, height
    outline = np.array([
        [0.06, 0.95], [0.0, 0.22], [0.25, 0.55], [0.5, 0.05], [0.75, 0.55], [1.0, 0.22],
        [0.94, 0.95],
    ]) * [w, h]  # fmt: skip
    _poly(canvas, outline, (30, 190, 250, 255))
    _vertical_gradient(canvas, (120, 235, 255), (0, 140, 220))
    _poly(canvas, np.array([[0.06, 0.8], [0.94, 0.8], [0.94, 0.95], [0.06, 0.95]]) * [w, h],
          (20, 120, 200, 255))  # fmt: skip
    for x, color in ((0.28, (60, 40, 220)), (0.5, (200, 80, 40)), (0.72, (60, 170, 40))):
        _circle(canvas, (x * w, 0.68 * h), h * 0.07, (*color, 255))
        _circle(canvas, (x * w - h * 0.02, 0.66 * h), h * 0.02, (255, 255, 255, 220))
    for x, y in ((0.0, 0.22), (0.5, 0.05), (1.0, 0.22)):
        _circle(canvas, (min(max(x * w, h * 0.06), w - h * 0.06), y * h + h * 0.02),
                h * 0.05, (180, 230, 255, 255))  # fmt: skip
    return _finish(canvas)


def sunglasses(width: int = 512, height: int = 180) -> Image:
    canvas = _canvas(width, height)
    w, h = width, height
    for cx in (0.27, 0.73):
        lens = _ellipse_points(cx * w, 0.52 * h, 0.2 * w, 0.4 * h, squash=0.15)
        _poly(canvas, lens, (40, 30, 30, 235))
    _vertical_gradient(canvas, (90, 60, 50), (20, 15, 15))
    for cx in (0.27, 0.73):
        lens = _ellipse_points(cx * w, 0.52 * h, 0.2 * w, 0.4 * h, squash=0.15)
        pts = np.round(lens * SUPERSAMPLE).astype(np.int32)
        cv2.polylines(canvas, [pts], True, (10, 10, 10, 255), 7 * SUPERSAMPLE, cv2.LINE_AA)
        glint = _ellipse_points((cx - 0.08) * w, 0.35 * h, 0.05 * w, 0.08 * h)
        _poly(canvas, glint, (255, 255, 255, 150))
    bridge = np.array([[0.45, 0.38], [0.55, 0.38], [0.55, 0.46], [0.45, 0.46]]) * [w, h]
    _poly(canvas, bridge, (10, 10, 10, 255))
    for x0, x1 in ((0.0, 0.08), (0.92, 1.0)):
        arm = np.array([[x0, 0.3], [x1, 0.3], [x1, 0.4], [x0, 0.4]]) * [w, h]
        _poly(canvas, arm, (10, 10, 10, 255))
    return _finish(canvas)


def _ellipse_points(cx: float, cy: float, rx: float, ry: float, squash: float = 0.0) -> Vectors:
    t = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    y = np.sin(t) * (1 - squash * (np.sin(t) < 0))
    return np.stack([cx + rx * np.cos(t), cy + ry * y], axis=1)


def cat_ears(width: int = 512, height: int = 220) -> Image:
    canvas = _canvas(width, height)
    w, h = width, height
    for side in (-1, 1):
        base = 0.5 + side * 0.3
        outer = np.array([[base - 0.17, 1.0], [base + side * 0.07, 0.0], [base + 0.17, 1.0]])
        inner = np.array([[base - 0.1, 0.95], [base + side * 0.05, 0.22], [base + 0.1, 0.95]])
        _poly(canvas, outer * [w, h], (60, 55, 70, 255))
        _poly(canvas, inner * [w, h], (180, 150, 250, 255))
    return _finish(canvas)


def masquerade(width: int = 512, height: int = 220) -> Image:
    canvas = _canvas(width, height)
    w, h = width, height
    t = np.linspace(0, np.pi, 40)
    top = np.stack([0.5 - 0.5 * np.cos(t), 0.35 - 0.25 * np.sin(t) + 0.12 * np.sin(2 * t) ** 2],
                   axis=1)  # fmt: skip
    bottom = np.stack([0.5 + 0.5 * np.cos(t), 0.6 + 0.3 * np.sin(t) - 0.28 * np.sin(t) ** 8],
                      axis=1)  # fmt: skip
    _poly(canvas, np.concatenate([top, bottom]) * [w, h], (150, 40, 120, 255))
    _vertical_gradient(canvas, (210, 90, 190), (110, 20, 90))
    for cx in (0.3, 0.7):
        hole = _ellipse_points(cx * w, 0.52 * h, 0.12 * w, 0.2 * h) * SUPERSAMPLE
        cv2.fillPoly(canvas, [np.round(hole).astype(np.int32)], (0, 0, 0, 0), cv2.LINE_AA)
        rim = np.round(hole).astype(np.int32)
        cv2.polylines(canvas, [rim], True, (60, 200, 250, 255), 3 * SUPERSAMPLE, cv2.LINE_AA)
    rng = np.random.default_rng(7)
    for _ in range(60):
        x, y = rng.uniform(0.05, 0.95) * w, rng.uniform(0.2, 0.8) * h
        if canvas[round(y) * SUPERSAMPLE, round(x) * SUPERSAMPLE, 3] == 255:
            _circle(canvas, (x, y), rng.uniform(1.0, 2.5), (200, 240, 255, 255))
    return _finish(canvas)


def confetti(size: int = 48, hue: int = 0) -> Image:
    canvas = _canvas(size, size)
    color = cv2.cvtColor(np.array([[[hue, 200, 255]]], np.uint8), cv2.COLOR_HSV2BGR)[0, 0]
    rect = np.array([[0.3, 0.15], [0.7, 0.15], [0.7, 0.85], [0.3, 0.85]]) * size
    blue, green, red = (int(c) for c in color)
    _poly(canvas, rect, (blue, green, red, 255))
    return _finish(canvas)


def bubble(size: int = 96) -> Image:
    canvas = _canvas(size, size)
    c = size / 2
    _circle(canvas, (c, c), size * 0.45, (255, 230, 200, 60))
    _circle(canvas, (c, c), size * 0.45, (255, 245, 230, 220), thickness=2 * SUPERSAMPLE)
    _circle(canvas, (c * 0.7, c * 0.7), size * 0.08, (255, 255, 255, 230))
    return _finish(canvas)


def _transformed(sprite: Image, scale: float, angle_deg: float) -> Image:
    height, width = sprite.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle_deg, scale)
    return cv2.warpAffine(sprite, matrix, (width, height), flags=cv2.INTER_LINEAR)


def heart_beat(frames: int = 12) -> list[Image]:
    base = heart(160)
    return [_transformed(base, 0.8 + 0.15 * abs(np.sin(np.pi * i / frames)) ** 2, 0)
            for i in range(frames)]  # fmt: skip


def spinning_star(frames: int = 16) -> list[Image]:
    base = star(160)
    return [_transformed(base, 0.9, 360.0 * i / frames / 5) for i in range(frames)]


def twinkle(frames: int = 16) -> list[Image]:
    """Three glints pulsing out of phase."""
    size = 192
    glint = sparkle(96)
    spots = ((0.3, 0.35, 0.0), (0.7, 0.3, 0.33), (0.5, 0.72, 0.66))
    out = []
    for i in range(frames):
        canvas = np.zeros((size, size, 4), np.uint8)
        for x, y, phase in spots:
            scale = 0.3 + 0.7 * abs(np.sin(np.pi * (i / frames + phase)))
            piece = _transformed(glint, scale, 45.0 * i / frames)
            top, left = round(y * size - 48), round(x * size - 48)
            region = canvas[top : top + 96, left : left + 96]
            np.maximum(region, piece, out=region)
        out.append(canvas)
    return out


STICKERS: dict[str, Callable[[], Image]] = {
    "heart": heart,
    "star": star,
    "sparkle": sparkle,
    "crown": crown,
    "sunglasses": sunglasses,
    "cat_ears": cat_ears,
    "masquerade": masquerade,
    "bubble": bubble,
}
ANIMATIONS: dict[str, Callable[[], list[Image]]] = {
    "heart_beat": heart_beat,
    "spinning_star": spinning_star,
    "twinkle": twinkle,
}
