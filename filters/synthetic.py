"""A synthetic "camera": a real face photo moving, rotating and scaling over a soft background.

The clip is periodic (it loops after ``n_frames``) and every frame is the still portrait mapped
by a known 2x3 affine transform (``transform(index)``), so landmarks found once on the still
image give exact ground truth for every frame, and the cut-out alpha gives a ground-truth
person mask.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

from filters.assets import asset
from filters.types import Affine, Image, Mask, Vectors


@dataclass(frozen=True)
class SampleFace:
    """A portrait that ships in ``assets/faces`` with its face box measured by FaceMesh."""

    file: str
    face_center: tuple[float, float]
    face_height: float


SAMPLE_FACES: dict[str, SampleFace] = {
    "astronaut": SampleFace("astronaut.png", (225.0, 124.0), 106.0),
    "grace_hopper": SampleFace("grace_hopper.jpg", (264.0, 233.0), 202.0),
}


def load_face(name: str) -> Image:
    """The still portrait ``name`` (a key of ``SAMPLE_FACES``) as BGR uint8."""
    image = cv2.imread(str(asset("faces", SAMPLE_FACES[name].file)), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(asset("faces", SAMPLE_FACES[name].file))
    return image


@lru_cache(maxsize=4)
def _cutout(name: str) -> tuple[Image, Mask]:
    """The portrait and its person alpha (selfie segmentation), torso extended downwards."""
    import mediapipe as mp

    image = load_face(name)
    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as segmenter:
        result = segmenter.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    alpha = np.clip(result.segmentation_mask * 255.0, 0, 255).astype(np.uint8)
    alpha = cv2.GaussianBlur(alpha, (5, 5), 0)
    pad = image.shape[0] // 2
    image = cv2.copyMakeBorder(image, 0, pad, 0, 0, cv2.BORDER_REPLICATE)
    alpha = cv2.copyMakeBorder(alpha, 0, pad, 0, 0, cv2.BORDER_REPLICATE)
    image.flags.writeable = False
    alpha.flags.writeable = False
    return image, alpha


def _premultiply(image: Image, alpha: Mask) -> Image:
    """BGR premultiplied by alpha, with the transparency (255 - alpha) as a fourth channel."""
    premultiplied = cv2.multiply(image, cv2.cvtColor(alpha, cv2.COLOR_GRAY2BGR), scale=1 / 255)
    return np.ascontiguousarray(np.dstack([premultiplied, 255 - alpha]))


def _background(width: int, height: int, rng: np.random.Generator) -> Image:
    """A soft two-colour vertical gradient with blurred bokeh discs."""
    hue = rng.uniform(0.0, 180.0)
    top = _hsv_to_bgr(hue, 70, 235)
    bottom = _hsv_to_bgr((hue + 25.0) % 180.0, 110, 150)
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    canvas = np.repeat((1.0 - ramp) * top + ramp * bottom, width, axis=1)
    glow: Image = np.zeros((height, width, 3), np.float32)
    for _ in range(14):
        center = (int(rng.uniform(0, width)), int(rng.uniform(0, height * 0.7)))
        radius = int(rng.uniform(0.02, 0.07) * max(width, height))
        color = _hsv_to_bgr((hue + rng.uniform(-30, 30)) % 180.0, 60, 255)
        cv2.circle(glow, center, radius, tuple(float(c) * 0.25 for c in color), -1, cv2.LINE_AA)
    sigma = max(width, height) / 90.0
    glow = cv2.GaussianBlur(glow, (0, 0), sigma)
    return np.clip(canvas + glow, 0, 255).astype(np.uint8)


def _hsv_to_bgr(hue: float, sat: float, val: float) -> NDArray[np.float32]:
    pixel = np.array([[[hue, sat, val]]], np.uint8)
    bgr: NDArray[np.float32] = cv2.cvtColor(pixel, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)
    return bgr


class SyntheticFaceClip:
    """A looping clip of a real face moving smoothly, with exact ground truth per frame.

    ``frame(i)`` is BGR uint8 ``(height, width, 3)``; ``transform(i)`` is the 2x3 affine that
    maps still-image pixel coordinates (``still()``) to frame ``i``; ``person_mask(i)`` is the
    ground-truth person alpha. Frames repeat every ``n_frames``.
    """

    def __init__(
        self,
        width: int,
        height: int,
        fps: float = 30.0,
        seed: int = 0,
        face: str = "astronaut",
        period_s: float = 8.0,
    ) -> None:
        if face not in SAMPLE_FACES:
            raise ValueError(f"unknown face {face!r}; choose from {sorted(SAMPLE_FACES)}")
        self.width = width
        self.height = height
        self.fps = fps
        self.face = face
        self.n_frames = max(1, round(period_s * fps))
        rng = np.random.default_rng(seed)
        self._phases = rng.uniform(0.0, 2.0 * math.pi, size=4)
        self._background = _background(width, height, rng)
        self._sprite, self._alpha = _cutout(face)
        self._premultiplied = _premultiply(self._sprite, self._alpha)
        info = SAMPLE_FACES[face]
        self._anchor = info.face_center
        self._base_scale = 0.30 * height / info.face_height

    def still(self) -> Image:
        """The untransformed portrait (BGR) that ``transform`` maps from (read-only)."""
        return self._sprite

    def transform(self, index: int) -> Affine:
        """The 2x3 affine mapping still-image coordinates to frame ``index`` coordinates."""
        t = 2.0 * math.pi * (index % self.n_frames) / self.n_frames
        p = self._phases
        angle = 10.0 * math.sin(t + p[0])
        scale = self._base_scale * (1.0 + 0.08 * math.sin(2.0 * t + p[1]))
        cx = self.width * (0.5 + 0.10 * math.sin(t + p[2]))
        cy = self.height * (0.42 + 0.04 * math.sin(2.0 * t + p[3]))
        matrix = cv2.getRotationMatrix2D(self._anchor, angle, scale)
        matrix[0, 2] += cx - self._anchor[0]
        matrix[1, 2] += cy - self._anchor[1]
        return np.asarray(matrix, np.float64)

    def map_points(self, points: Vectors, index: int) -> NDArray[np.float64]:
        """Map ``(N, 2)`` still-image points to frame ``index`` coordinates."""
        matrix = self.transform(index)
        pts = np.asarray(points, np.float64)
        mapped: NDArray[np.float64] = pts @ matrix[:, :2].T + matrix[:, 2]
        return mapped

    def frame(self, index: int) -> Image:
        """Frame ``index`` as a fresh BGR uint8 array."""
        out = self._background.copy()
        roi, matrix = self._roi(index)
        if roi is None:
            return out
        x0, y0, x1, y1 = roi
        warped = cv2.warpAffine(
            self._premultiplied, matrix, (x1 - x0, y1 - y0), borderValue=(0, 0, 0, 255)
        )
        foreground = cv2.cvtColor(warped, cv2.COLOR_BGRA2BGR)
        transparency = np.empty_like(foreground)
        cv2.mixChannels([warped], [transparency], [3, 0, 3, 1, 3, 2])
        region = out[y0:y1, x0:x1]
        cv2.add(cv2.multiply(region, transparency, scale=1.0 / 255.0), foreground, dst=region)
        return out

    def person_mask(self, index: int) -> Mask:
        """Ground-truth person alpha for frame ``index`` (uint8, 0..255, ``(height, width)``)."""
        return cv2.warpAffine(
            self._alpha, self.transform(index), (self.width, self.height), flags=cv2.INTER_LINEAR
        )

    def _roi(self, index: int) -> tuple[tuple[int, int, int, int] | None, Affine]:
        """The frame rectangle the sprite covers and the affine shifted into it."""
        matrix = self.transform(index)
        h, w = self._sprite.shape[:2]
        corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float64)
        mapped = corners @ matrix[:, :2].T + matrix[:, 2]
        x0, y0 = np.floor(mapped.min(axis=0)).astype(int)
        x1, y1 = np.ceil(mapped.max(axis=0)).astype(int)
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, self.width), min(y1, self.height)
        if x1 <= x0 or y1 <= y0:
            return None, matrix
        shifted = matrix.copy()
        shifted[0, 2] -= x0
        shifted[1, 2] -= y0
        return (int(x0), int(y0), int(x1), int(y1)), shifted
