"""AR: landmark view, 3D face masks that follow head pose, animated face stickers."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from filters import landmarks as lm
from filters.base import Category, VideoFilter
from filters.context import Face, FrameContext
from filters.params import Param, amount, choice, color, file, flag, hex_to_bgr, scalar
from filters.types import Image, Vectors
from filters.video.sprites import (
    composite,
    frame_durations,
    load_frames,
    load_sprite,
    resolve,
    similarity,
)


def _mesh_edges(connections: frozenset[tuple[int, int]]) -> NDArray[np.int32]:
    return np.array(sorted(connections), np.int32)


def _connections() -> dict[str, NDArray[np.int32]]:
    from mediapipe.python.solutions import face_mesh_connections as fmc

    return {
        "mesh": _mesh_edges(fmc.FACEMESH_TESSELATION),
        "contours": _mesh_edges(fmc.FACEMESH_CONTOURS),
        "irises": _mesh_edges(fmc.FACEMESH_IRISES),
    }


class LandmarkView(VideoFilter):
    """Draws the tracked face: mesh, contours, irises and the head-pose axes."""

    id = "ar.landmarks"
    name = "Face tracking view"
    category = Category.AR
    description = "Shows the 478 tracked face landmarks and the 3D head pose."
    tags = ("ar", "face tracking", "landmarks", "mesh", "debug")
    needs = ("face", "refined")
    params: ClassVar[tuple[Param, ...]] = (
        choice("style", "Style", "mesh", ("mesh", "contours", "points")),
        color("color", "Colour", "#35e0c8"),
        flag("show_pose", "Head pose axes", True),
        amount("opacity", "Opacity", 80.0),
    )
    _edges: ClassVar[dict[str, NDArray[np.int32]]] = {}

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        if not ctx.faces:
            return frame
        if not LandmarkView._edges:
            LandmarkView._edges.update(_connections())
        layer = frame.copy()
        bgr = hex_to_bgr(self.text("color"))
        for face in ctx.faces:
            self._draw(layer, face, bgr)
        return cv2.addWeighted(
            layer, self.fraction("opacity"), frame, 1 - self.fraction("opacity"), 0
        )

    def _draw(self, layer: Image, face: Face, bgr: tuple[int, int, int]) -> None:
        points = face.points
        style = self.text("style")
        thickness = max(1, round(face.width / 250))
        if style == "points":
            for x, y in np.round(points).astype(int):
                cv2.circle(layer, (int(x), int(y)), thickness, bgr, -1, cv2.LINE_AA)
        else:
            edges = self._edges["mesh" if style == "mesh" else "contours"]
            lines = np.round(points[edges]).astype(np.int32)
            cv2.polylines(layer, list(lines), False, bgr, thickness, cv2.LINE_AA)
        iris = np.round(points[self._edges["irises"]]).astype(np.int32)
        cv2.polylines(layer, list(iris), False, (255, 255, 255), thickness, cv2.LINE_AA)
        if self.flag("show_pose"):
            _draw_axes(layer, face, thickness + 1)


def _draw_axes(layer: Image, face: Face, thickness: int) -> None:
    """Head x (red), y (green) and z (blue) axes from the nose tip."""
    length = 200.0
    axes = np.array([[0, 0, 0], [length, 0, 0], [0, -length, 0], [0, 0, -length]], np.float64)
    origin, *tips = np.round(face.pose.project(axes)).astype(int)
    for tip, bgr in zip(tips, ((0, 0, 255), (0, 255, 0), (255, 80, 0)), strict=True):
        start = (int(origin[0]), int(origin[1]))
        cv2.arrowedLine(layer, start, (int(tip[0]), int(tip[1])), bgr, thickness, cv2.LINE_AA)


# Where each mask sits on the generic head model (``filters.context.POSE_MODEL`` units:
# x right, y down, z away from the camera; eye corners at (±225, -170, 135)).
MASK_PLACEMENT: dict[str, tuple[tuple[float, float, float], float]] = {
    "sunglasses": ((0.0, -165.0, 40.0), 640.0),
    "masquerade": ((0.0, -175.0, 40.0), 680.0),
    "crown": ((0.0, -640.0, 180.0), 520.0),
    "cat_ears": ((0.0, -600.0, 200.0), 800.0),
}


class FaceMask(VideoFilter):
    """A mask placed on a 3D head model and projected with the head pose, so it turns,
    tilts and scales with the head."""

    id = "ar.mask"
    name = "3D face mask"
    category = Category.AR
    description = "Glasses, masquerade mask, crown or cat ears that follow your head in 3D."
    tags = ("ar", "mask", "3d", "glasses", "crown", "cat ears")
    needs = ("face",)
    params: ClassVar[tuple[Param, ...]] = (
        choice("mask", "Mask", "sunglasses", tuple(MASK_PLACEMENT)),
        scalar("size", "Size", 1.0, 0.5, 1.8, 0.05, "×"),
        amount("opacity", "Opacity", 100.0),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        name = self.text("mask")
        sprite = load_sprite(resolve(name, "stickers"))
        (cx, cy, cz), width = MASK_PLACEMENT[name]
        width *= self.number("size")
        height = width * sprite.shape[0] / sprite.shape[1]
        quad = np.array(
            [[cx - width / 2, cy - height / 2, cz], [cx + width / 2, cy - height / 2, cz],
             [cx + width / 2, cy + height / 2, cz], [cx - width / 2, cy + height / 2, cz]],
            np.float64,
        )  # fmt: skip
        corners = np.array(
            [[0, 0], [sprite.shape[1], 0], [sprite.shape[1], sprite.shape[0]],
             [0, sprite.shape[0]]], np.float32,
        )  # fmt: skip
        out = frame
        for face in ctx.faces:
            projected = face.pose.project(quad)
            homography = np.asarray(cv2.getPerspectiveTransform(corners, projected), np.float64)
            out = composite(out, sprite, homography, self.fraction("opacity"))
        return out


ANCHORS = ("above_head", "forehead", "nose", "mouth", "left_cheek", "right_cheek", "screen")
_ANCHOR_LANDMARK = {
    "forehead": lm.FOREHEAD,
    "nose": lm.NOSE_TIP,
    "mouth": 13,
    "left_cheek": lm.LEFT_CHEEK,
    "right_cheek": lm.RIGHT_CHEEK,
}


class AnimatedSticker(VideoFilter):
    """A GIF / APNG / sprite-sheet sticker anchored to a face point (or the screen)."""

    id = "ar.animated_sticker"
    name = "Animated sticker"
    category = Category.AR
    description = "Animated GIF, APNG or sprite-sheet stickers that follow the face."
    tags = ("ar", "sticker", "animated", "gif", "apng")
    premium = True
    price_coins = 30
    needs = ("face",)
    params: ClassVar[tuple[Param, ...]] = (
        file("sticker", "Sticker", "heart_beat", (".gif", ".png", ".apng", ".webp")),
        choice("anchor", "Anchor", "above_head", ANCHORS),
        scalar("size", "Size", 1.0, 0.2, 4.0, 0.05, "× eye distance ×2"),
        scalar("x", "X (screen anchor)", 85.0, 0.0, 100.0, 1.0, "%"),
        scalar("y", "Y (screen anchor)", 15.0, 0.0, 100.0, 1.0, "%"),
        scalar("speed", "Speed", 1.0, 0.1, 4.0, 0.1, "×"),
        amount("opacity", "Opacity", 100.0),
    )

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        path = resolve(self.text("sticker"), "stickers")
        sprite = _frame_at(path, ctx.time * self.number("speed"))
        out = frame
        for center, width, angle in self._placements(ctx):
            matrix = similarity(sprite.shape[1], sprite.shape[0], center, width, angle)
            out = composite(out, sprite, matrix, self.fraction("opacity"))
        return out

    def _placements(self, ctx: FrameContext) -> list[tuple[Vectors, float, float]]:
        anchor = self.text("anchor")
        if anchor == "screen":
            center = np.array([self.number("x") * ctx.width, self.number("y") * ctx.height]) / 100
            return [(center, ctx.height * 0.2 * self.number("size"), 0.0)]
        placements = []
        for face in ctx.faces:
            width = face.eye_distance * 2.0 * self.number("size")
            if anchor == "above_head":
                up = np.array([np.sin(face.roll), -np.cos(face.roll)])
                center = face.points[lm.FOREHEAD] + up * width * 0.7
            else:
                center = face.points[_ANCHOR_LANDMARK[anchor]]
            placements.append((center, width, face.roll))
        return placements


def _frame_at(path: Path, seconds: float) -> Image:
    frames = load_frames(path)
    durations = np.cumsum(frame_durations(path))
    position = seconds % float(durations[-1])
    return frames[min(int(np.searchsorted(durations, position, side="right")), len(frames) - 1)]
