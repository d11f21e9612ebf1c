"""Face reshaping as one smooth mesh warp: slimming, eyes, nose, chin, V-line.

The displacement field is evaluated on a coarse grid over the face, upsampled, and applied
with a single ``cv2.remap`` of the face region; the moved landmarks are handed on to the
rest of the chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from filters import landmarks as lm
from filters.base import Category, VideoFilter
from filters.context import Face, FrameContext
from filters.params import Param, amount
from filters.types import Image, Points, Vectors
from filters.video.common import Region, apply_in_region

GRID_STEP = 12
STILL_SHIFT = 1.0 / 64.0
"""Shifts below this (pixels) are left out of the remap: ``cv2.remap`` rounds positions to
1/32 pixel, so it would not move those pixels either."""
SLIM_MAX = 0.08
VLINE_MAX = 0.06
CHIN_MAX = 0.06
NOSE_MAX = 0.3
EYES_MAX = 0.25


@dataclass
class WarpField:
    """Pushes (translate a neighbourhood) and zooms (magnify around a point)."""

    push_at: list[Points] = field(default_factory=list)
    push_by: list[Points] = field(default_factory=list)
    push_radius: list[float] = field(default_factory=list)
    zooms: list[tuple[NDArray[np.float32], float, float]] = field(default_factory=list)

    def push(self, at: Points, by: Points, radius: float) -> None:
        self.push_at.append(np.atleast_2d(at).astype(np.float32))
        self.push_by.append(np.atleast_2d(by).astype(np.float32))
        self.push_radius.extend([radius] * len(np.atleast_2d(at)))

    def zoom(self, center: Vectors, strength: float, radius: float) -> None:
        self.zooms.append((center.astype(np.float32), strength, radius))

    def at(self, points: Points) -> Points:
        """Displacement at ``points`` (N, 2): content at ``p - d`` moves to ``p``."""
        out = np.zeros_like(points, dtype=np.float32)
        if self.push_at:
            centers = np.concatenate(self.push_at)
            radii = np.array(self.push_radius, np.float32)
            dist2 = points @ (-2.0 * centers.T)
            dist2 += (points * points).sum(axis=1)[:, None]
            dist2 += (centers * centers).sum(axis=1)[None, :]
            np.maximum(dist2, 0.0, out=dist2)
            dist2 *= -0.5 / (radii * radii)
            weights = np.exp(dist2, out=dist2)
            # One product gives the weighted shifts and, from a column of ones, their total.
            ones = np.ones((len(centers), 1), np.float32)
            summed = weights @ np.hstack([np.concatenate(self.push_by), ones])
            out += summed[:, :2] / np.maximum(summed[:, 2:], 1.0)
        for center, strength, radius in self.zooms:
            offset = points - center
            reach = np.einsum("ij,ij->i", offset, offset) / (radius * radius)
            falloff = np.maximum(1.0 - reach, 0.0)
            out += (strength * falloff * falloff)[:, None] * offset
        return out

    def forward(self, points: Points, iterations: int = 2) -> Points:
        """Where ``points`` end up after the warp (solves ``q - d(q) = p``)."""
        moved = points.astype(np.float32)
        for _ in range(iterations):
            moved = points + self.at(moved)
        return moved


class FaceReshape(VideoFilter):
    """Slimmer face, bigger eyes, slimmer nose, chin length and V-line in one mesh warp."""

    id = "beauty.reshape"
    name = "Face reshape"
    category = Category.BEAUTY
    description = "Face slimming, eye enlargement, nose slimming and face shape (chin, V-line)."
    tags = ("beauty", "slim", "eyes", "nose", "face shape", "chin", "v-line")
    needs = ("face",)
    params: ClassVar[tuple[Param, ...]] = (
        amount("slim", "Face slimming", 40.0, "at 100 the jaw moves in by 8% of the face width"),
        amount("eyes", "Eye enlargement", 30.0, "at 100 the eyes are 25% larger"),
        amount("nose", "Nose slimming", 30.0, "at 100 the nose wings move in by 30%"),
        amount("chin", "Chin length", 0.0, "negative shortens, positive lengthens", -100.0),
        amount("vline", "V-line jaw", 0.0, "narrows the jaw towards the chin"),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        out = frame
        moved = []
        for face in ctx.faces:
            warp = self.field(face)
            region = Region(*face.roi(0.35, ctx.width, ctx.height))
            if region.empty:
                moved.append(face)
                continue
            grid = _GridShift.of(warp, region)
            out = grid.warp(out, ctx)
            moved.append(face.moved(grid.forward(face.points)))
        ctx.replace_faces(moved)
        return out

    def field(self, face: Face) -> WarpField:
        """The displacement field this filter applies to ``face``."""
        warp = WarpField()
        right, down = _face_axes(face)
        self._jaw(face, warp, right, down)
        self._nose(face, warp, right)
        self._eyes(face, warp)
        return warp

    def _jaw(self, face: Face, warp: WarpField, right: Vectors, down: Vectors) -> None:
        jaw = face.at(lm.JAW)
        inward = -np.sign((jaw - face.points[lm.CHIN]) @ right)[:, None] * right
        across = _JAW_SLIM * (self.fraction("slim") * SLIM_MAX)
        across += _JAW_VLINE * (self.fraction("vline") * VLINE_MAX)
        chin = _JAW_CHIN * (self.fraction("chin") * CHIN_MAX)
        shift = (across[:, None] * inward + chin[:, None] * down) * face.width
        warp.push(jaw, shift.astype(np.float32), face.width * 0.14)

    def _nose(self, face: Face, warp: WarpField, right: Vectors) -> None:
        wings = face.at(lm.RIGHT_NOSE_WING + lm.LEFT_NOSE_WING)
        offset = (wings - face.points[lm.NOSE_TIP]) @ right
        shift = -offset[:, None] * right * (self.fraction("nose") * NOSE_MAX)
        nose_width = float(np.abs(offset).max()) * 2.0
        warp.push(wings, shift.astype(np.float32), max(nose_width * 0.22, 2.0))

    def _eyes(self, face: Face, warp: WarpField) -> None:
        strength = self.fraction("eyes") * EYES_MAX
        corners = ((lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER), (lm.LEFT_EYE_OUTER, lm.LEFT_EYE_INNER))
        for center, (outer, inner) in zip(face.eye_centers, corners, strict=True):
            eye_width = float(np.linalg.norm(face.points[outer] - face.points[inner]))
            warp.zoom(center, strength, eye_width * 1.1)


def _jaw_profiles() -> tuple[Vectors, Vectors, Vectors]:
    """Per jaw landmark (ear to ear), the share of slimming, V-line and chin shift."""
    half = (len(lm.JAW) - 1) // 2
    t = 1.0 - np.abs(np.arange(len(lm.JAW)) - half) / half  # 0 at the ears, 1 at the chin
    slim = np.sin(np.pi * (0.15 + 0.85 * t))
    vline = np.clip(np.sin(2 * np.pi * (t - 0.5)), 0, 1)
    chin = np.clip(t - 0.6, 0, None) / 0.4
    return slim, vline, chin


_JAW_SLIM, _JAW_VLINE, _JAW_CHIN = _jaw_profiles()


def _face_axes(face: Face) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Unit vectors across the face (towards image right) and down the face."""
    down = face.points[lm.CHIN] - face.points[lm.NOSE_BRIDGE]
    down = down / max(float(np.linalg.norm(down)), 1e-6)
    right = np.array([-down[1], down[0]], np.float32)
    return right.astype(np.float32), down.astype(np.float32)


@dataclass(frozen=True)
class _GridShift:
    """A warp's displacement sampled every ``GRID_STEP`` pixels over ``region``, tapered
    to zero at its border: what the frame actually gets."""

    region: Region
    shift: NDArray[np.float32]  # (rows, columns, 2)
    step: tuple[float, float]

    @classmethod
    def of(cls, warp: WarpField, region: Region) -> _GridShift:
        width, height = region.size
        columns, rows = max(2, width // GRID_STEP + 1), max(2, height // GRID_STEP + 1)
        step = ((width - 1) / (columns - 1), (height - 1) / (rows - 1))
        nodes = np.empty((rows, columns, 2), np.float32)
        nodes[..., 0] = np.arange(columns, dtype=np.float32)[None, :] * step[0] + region.x0
        nodes[..., 1] = np.arange(rows, dtype=np.float32)[:, None] * step[1] + region.y0
        shift = warp.at(nodes.reshape(-1, 2)).reshape(rows, columns, 2)
        shift *= _taper(columns)[None, :, None] * _taper(rows)[:, None, None]
        return cls(region, shift, step)

    def warp(self, frame: Image, ctx: FrameContext) -> Image:
        """``frame`` warped, in the context's copy: only the part of the region where the
        upsampled shift can exceed ``STILL_SHIFT`` is remapped."""
        moving = self.moving()
        if moving.empty:
            return frame
        width, height = self.region.size
        # Relative remap coordinates of the moving part, counted from its own corner,
        # sample the whole region around it.
        corner = np.array([moving.x0, moving.y0], np.float32)
        relative = cv2.resize(corner - self.shift, (width, height), interpolation=cv2.INTER_LINEAR)
        flags = cv2.INTER_LINEAR | cv2.WARP_RELATIVE_MAP
        # OpenCV's stubs miss that a two-channel map needs no second map.
        warped = cv2.remap(self.region.crop(frame), moving.crop(relative), None, flags,  # type: ignore[call-overload]
                           borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        inside = Region(self.region.x0 + moving.x0, self.region.y0 + moving.y0,
                        self.region.x0 + moving.x1, self.region.y0 + moving.y1)  # fmt: skip
        return apply_in_region(frame, inside, warped, ctx)

    def moving(self) -> Region:
        """The part of the region (in region pixels) outside which the shift upsampled to
        pixels stays below ``STILL_SHIFT``: the grid cells next to a node above it."""
        active = np.abs(self.shift).max(axis=2) > STILL_SHIFT
        rows, columns = np.flatnonzero(active.any(axis=1)), np.flatnonzero(active.any(axis=0))
        if not rows.size:
            return Region(0, 0, 0, 0)
        width, height = self.region.size
        node_rows, node_columns = self.shift.shape[:2]
        # cv2.resize puts node i at pixel (i + 0.5) * size / nodes - 0.5; pixels between
        # the still neighbours of the first and last moving node are interpolated from them.
        x0, x1 = _pixel_span(columns[0] - 1, columns[-1] + 1, width / node_columns)
        y0, y1 = _pixel_span(rows[0] - 1, rows[-1] + 1, height / node_rows)
        return Region(max(x0, 0), max(y0, 0), min(x1, width), min(y1, height))

    def forward(self, points: Points, iterations: int = 2) -> Points:
        """Where ``points`` (frame pixels) end up: ``q = p + d(q)`` with ``d`` sampled
        bilinearly from the grid (zero outside the region)."""
        origin = np.array([self.region.x0, self.region.y0], np.float32)
        scale = 1.0 / np.array(self.step, np.float32)
        moved = points.astype(np.float32)
        for _ in range(iterations):
            cell = np.ascontiguousarray(((moved - origin) * scale).T[:, None, :])
            shift = cv2.remap(self.shift, cell[0], cell[1], cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT)  # fmt: skip
            moved = points + shift.reshape(-1, 2)
        return moved


def _pixel_span(first: int, last: int, pixels_per_node: float) -> tuple[int, int]:
    """The pixels (start, stop) ``cv2.resize`` interpolates between nodes ``first`` and
    ``last`` of a grid it upsamples by ``pixels_per_node``."""
    start = (first + 0.5) * pixels_per_node - 0.5
    stop = (last + 0.5) * pixels_per_node - 0.5
    return math.floor(start), math.ceil(stop) + 1


@lru_cache(maxsize=64)
def _taper(count: int) -> NDArray[np.float32]:
    """1 inside, falling smoothly to 0 over the outer eighth at each end (read-only)."""
    position = np.linspace(0.0, 1.0, count, dtype=np.float32)
    edge = np.minimum(position, 1.0 - position) * 8.0
    taper = np.clip(edge, 0.0, 1.0) ** 2 * (3.0 - 2.0 * np.clip(edge, 0.0, 1.0))
    taper.flags.writeable = False
    return taper
