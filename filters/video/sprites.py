"""RGBA sprites: loading (PNG, GIF, APNG, sprite sheets) and compositing with a transform."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageSequence

from filters.assets import asset
from filters.types import Affine, Image, Transform, Vectors

RGBA = Image
"""A BGRA uint8 sprite, ``(height, width, 4)``."""

ANIMATION_SUFFIXES = (".gif", ".png", ".apng", ".webp")


def resolve(name_or_path: str, folder: str) -> Path:
    """A bundled asset name (``"heart"`` → ``assets/<folder>/heart.png``) or a file path."""
    path = Path(name_or_path).expanduser()
    if path.suffix and path.exists():
        return path
    for suffix in ("", ".png", ".gif", ".apng", ".webp", ".jpg"):
        candidate = asset(folder, name_or_path + suffix)
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no {folder} asset or file named {name_or_path!r}")


@lru_cache(maxsize=64)
def load_sprite(path: Path) -> RGBA:
    """The first frame of an image file as premultiplication-free BGRA uint8."""
    return load_frames(path)[0]


SHEET = re.compile(r"_(\d+)x(\d+)\.[a-z]+$")
"""Sprite sheets are named ``<name>_<columns>x<rows>.png``."""


@lru_cache(maxsize=32)
def load_frames(path: Path) -> tuple[RGBA, ...]:
    """Every frame of an animation: GIF/APNG/WebP frames, or the cells of a sprite sheet."""
    with PILImage.open(path) as image:
        frames = [_to_bgra(frame) for frame in ImageSequence.Iterator(image)]
    sheet = SHEET.search(path.name.lower())
    if sheet:
        return tuple(_sheet(frames[0], int(sheet.group(1)), int(sheet.group(2))))
    for frame in frames:
        frame.flags.writeable = False
    return tuple(frames)


@lru_cache(maxsize=32)
def frame_durations(path: Path) -> tuple[float, ...]:
    """Seconds per frame as stored in an animated file (0.1 s where none is given)."""
    if SHEET.search(path.name.lower()):
        return (0.08,) * len(load_frames(path))
    with PILImage.open(path) as image:
        return tuple(
            max(0.02, frame.info.get("duration", 100) / 1000.0)
            for frame in ImageSequence.Iterator(image)
        )


def _to_bgra(frame: PILImage.Image) -> RGBA:
    rgba = np.asarray(frame.convert("RGBA"))
    return cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA)


def _sheet(sheet: RGBA, columns: int, rows: int) -> list[RGBA]:
    height, width = sheet.shape[0] // rows, sheet.shape[1] // columns
    cells = []
    for row in range(rows):
        for column in range(columns):
            cell = sheet[row * height : (row + 1) * height, column * width : (column + 1) * width]
            cell = np.ascontiguousarray(cell)
            cell.flags.writeable = False
            cells.append(cell)
    return cells


def composite(frame: Image, sprite: RGBA, matrix: Transform, opacity: float = 1.0) -> Image:
    """``frame`` with ``sprite`` drawn through a 2x3 affine or 3x3 perspective ``matrix``
    (sprite pixels → frame pixels); only the covered rectangle is touched. A new array."""
    height, width = frame.shape[:2]
    box = _covered_box(sprite.shape[1], sprite.shape[0], matrix, width, height)
    if box is None or opacity <= 0:
        return frame
    x0, y0, x1, y1 = box
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    full = np.vstack([matrix, [0, 0, 1]]) if matrix.shape[0] == 2 else matrix
    local = shift @ full
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(
        sprite, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return paste(frame, warped, x0, y0, opacity)


def paste(frame: Image, sprite: RGBA, x: int, y: int, opacity: float = 1.0) -> Image:
    """A copy of ``frame`` with an unscaled BGRA ``sprite`` blended at ``(x, y)``."""
    out = frame.copy()
    paste_into(out, sprite, x, y, opacity)
    return out


def paste_into(frame: Image, sprite: RGBA, x: int, y: int, opacity: float = 1.0) -> None:
    """Blend an unscaled BGRA ``sprite`` into ``frame`` at ``(x, y)``, in place (clipped)."""
    height, width = frame.shape[:2]
    sx0, sy0 = max(0, -x), max(0, -y)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + sprite.shape[1]), min(height, y + sprite.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    part = sprite[sy0 : sy0 + (y1 - y0), sx0 : sx0 + (x1 - x0)]
    alpha = part[..., 3].astype(np.float32) * (opacity / 255.0)
    region = frame[y0:y1, x0:x1]
    frame[y0:y1, x0:x1] = cv2.blendLinear(
        np.ascontiguousarray(part[..., :3]), np.ascontiguousarray(region), alpha, 1.0 - alpha
    )


def _covered_box(
    width: int, height: int, matrix: Transform, frame_w: int, frame_h: int
) -> tuple[int, int, int, int] | None:
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], np.float64)
    if matrix.shape[0] == 2:
        mapped = corners @ matrix[:, :2].T + matrix[:, 2]
    else:
        homogeneous = np.hstack([corners, np.ones((4, 1))]) @ matrix.T
        if np.any(homogeneous[:, 2] <= 1e-6):
            return None
        mapped = homogeneous[:, :2] / homogeneous[:, 2:]
    x0, y0 = np.floor(mapped.min(axis=0)).astype(int)
    x1, y1 = np.ceil(mapped.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, frame_w), min(y1, frame_h)
    if x1 <= x0 or y1 <= y0:
        return None
    return int(x0), int(y0), int(x1), int(y1)


def similarity(sprite_w: int, sprite_h: int, center: Vectors, width: float, angle: float) -> Affine:
    """2x3 affine putting a sprite's centre at ``center``, ``width`` pixels wide, rotated by
    ``angle`` radians."""
    scale = width / max(sprite_w, 1)
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    cx, cy = sprite_w / 2.0, sprite_h / 2.0
    return np.array(
        [[cos, -sin, center[0] - cos * cx + sin * cy],
         [sin, cos, center[1] - sin * cx - cos * cy]],
        np.float64,
    )  # fmt: skip
