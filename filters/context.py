"""Per-frame context: face landmarks and person mask, computed lazily and at most once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, TypeVar, cast

import cv2
import numpy as np
from numpy.typing import NDArray

from filters import landmarks as lm
from filters.face_mesh import FaceMesh
from filters.imaging import reduced_rgb
from filters.one_euro import OneEuroFilter
from filters.selfie import selfie_model
from filters.types import ColourMap, Image, Mask, Points, Vectors

# A generic head (x right, y down, z away from the camera, arbitrary units ~0.2 mm) at six
# FaceMesh landmarks: nose tip, chin, eye outer corners, mouth corners.
POSE_LANDMARKS = (lm.NOSE_TIP, lm.CHIN, lm.RIGHT_EYE_OUTER, lm.LEFT_EYE_OUTER,
                  lm.MOUTH_RIGHT, lm.MOUTH_LEFT)  # fmt: skip
POSE_MODEL = np.array(
    [[0, 0, 0], [0, 330, 65], [-225, -170, 135], [225, -170, 135],
     [-150, 150, 125], [150, 150, 125]],
    np.float64,
)  # fmt: skip
NO_DISTORTION = np.zeros(4, np.float64)

T = TypeVar("T")


@dataclass(frozen=True)
class HeadPose:
    """Head rotation and position relative to the camera (solvePnP on a generic head model).

    ``yaw`` turns the head left/right, ``pitch`` nods, ``roll`` tilts, in degrees; a frontal
    face is about (0, 0, 0). ``project`` maps head-model points (``POSE_MODEL`` units) into
    the frame.
    """

    rvec: NDArray[np.float64]
    tvec: NDArray[np.float64]
    camera: NDArray[np.float64]
    yaw: float
    pitch: float
    roll: float

    def project(self, points: Vectors) -> Points:
        projected, _ = cv2.projectPoints(
            np.asarray(points, np.float64), self.rvec, self.tvec, self.camera, NO_DISTORTION
        )
        return projected.reshape(-1, 2).astype(np.float32)


def camera_matrix(width: int, height: int) -> NDArray[np.float64]:
    """A pinhole camera with a ~53° horizontal field of view, centred."""
    return np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], np.float64)


def solve_pose(points: Points, width: int, height: int, guess: HeadPose | None) -> HeadPose:
    camera = camera_matrix(width, height)
    image_points = points[list(POSE_LANDMARKS)].astype(np.float64)
    if guess is None:
        ok, rvec, tvec = cv2.solvePnP(POSE_MODEL, image_points, camera, NO_DISTORTION)
    else:
        ok, rvec, tvec = cv2.solvePnP(
            POSE_MODEL, image_points, camera, NO_DISTORTION,
            guess.rvec.copy(), guess.tvec.copy(), useExtrinsicGuess=True,
        )  # fmt: skip
    if not ok:
        raise RuntimeError("head pose did not converge")
    rotation, _ = cv2.Rodrigues(rvec)
    pitch, yaw, roll = cv2.RQDecomp3x3(rotation)[0]
    return HeadPose(
        np.asarray(rvec, np.float64),
        np.asarray(tvec, np.float64),
        camera,
        float(yaw),
        float(pitch),
        float(roll),
    )


IRIS_POINTS = 478
"""Landmarks from the refined model (``FaceTracker(refined=True)``); without it, 468."""


@dataclass
class PoseTrack:
    """The head pose last solved for one tracked face: where solving the next one starts
    (keeps the pose stable from frame to frame). Poses are solved only when a filter asks."""

    last: HeadPose | None = None


@dataclass
class Face:
    """One tracked face: 478 landmarks (468 without irises) in frame pixels (x, y) and
    relative depth."""

    points: Points
    depth: NDArray[np.float32]
    frame_size: tuple[int, int]
    track: PoseTrack = field(default_factory=PoseTrack, repr=False)

    def at(self, indices: Sequence[int] | int) -> Points:
        return self.points[list(indices) if not isinstance(indices, int) else indices]

    @cached_property
    def bbox(self) -> tuple[int, int, int, int]:
        """Integer box ``(x0, y0, x1, y1)`` around the face oval."""
        oval = self.at(lm.FACE_OVAL)
        x0, y0 = np.floor(oval.min(axis=0)).astype(int)
        x1, y1 = np.ceil(oval.max(axis=0)).astype(int)
        return int(x0), int(y0), int(x1), int(y1)

    @cached_property
    def width(self) -> float:
        """Face width: distance between the two ends of the jaw contour."""
        return float(np.linalg.norm(self.points[lm.JAW[0]] - self.points[lm.JAW[-1]]))

    @property
    def has_iris(self) -> bool:
        return len(self.points) >= IRIS_POINTS

    @cached_property
    def eye_centers(self) -> Points:
        """Right and left eye centres: the iris centres, or without irises the middle of
        each eye contour."""
        if self.has_iris:
            return self.at((lm.RIGHT_IRIS_CENTER, lm.LEFT_IRIS_CENTER))
        return np.stack([self.at(lm.RIGHT_EYE).mean(axis=0), self.at(lm.LEFT_EYE).mean(axis=0)])

    @cached_property
    def eye_distance(self) -> float:
        right, left = self.eye_centers
        return float(np.linalg.norm(right - left))

    @cached_property
    def roll(self) -> float:
        """In-plane tilt in radians (eye line angle, image coordinates)."""
        dx, dy = self.eye_centers[1] - self.eye_centers[0]
        return float(np.arctan2(dy, dx))

    @cached_property
    def pose(self) -> HeadPose:
        width, height = self.frame_size
        self.track.last = solve_pose(self.points, width, height, self.track.last)
        return self.track.last

    def roi(self, margin: float, width: int, height: int) -> tuple[int, int, int, int]:
        """The face box grown by ``margin`` × its size on each side, clipped to the frame."""
        x0, y0, x1, y1 = self.bbox
        mx, my = (x1 - x0) * margin, (y1 - y0) * margin
        return (
            max(int(x0 - mx), 0),
            max(int(y0 - my), 0),
            min(int(x1 + mx), width),
            min(int(y1 + my), height),
        )

    def moved(self, points: Points) -> Face:
        """The same face with landmarks moved (after a geometric warp)."""
        return Face(points.astype(np.float32), self.depth, self.frame_size, self.track)


class FaceTracker:
    """Face landmarks in frame pixels, tracked between detections (``filters.face_mesh``).

    With ``refined`` the attention model: 478 points, lips and eyes refined, and the ten
    iris points. Without, the 468-point base mesh: cheaper (no lips, eyes and irises heads;
    both run in LiteRT), its points ~2.1-2.4 px (median, 720p) from the refined model's, most
    of all on the eyes, so it serves chains whose filters do not declare ``"refined"``.

    Detection sees the frame downscaled so its longer side is at most ``max_side``; the
    landmark models crop each face from the full-resolution frame.
    """

    def __init__(
        self, max_faces: int = 1, max_side: int = 640, static: bool = False, refined: bool = True
    ) -> None:
        self.max_side = max_side
        self.refined = refined
        self.static = static
        self._smoothers: list[OneEuroFilter] = []
        self._tracks: list[PoseTrack] = []
        self._mesh = FaceMesh(max_faces, max_side, static, refined)

    def detect(self, frame: Image, time: float | None = None) -> list[Face]:
        """The faces in ``frame``. Given the frame's ``time`` (seconds), a tracking (not
        static) tracker smooths each face's landmarks over time with a One Euro filter,
        which removes frame-to-frame jitter without lagging behind motion."""
        found = self._mesh.landmarks(frame)
        if len(found) != len(self._smoothers):
            self._smoothers = [OneEuroFilter() for _ in found]
            self._tracks = [PoseTrack() for _ in found]
        size = (frame.shape[1], frame.shape[0])
        return [self._face(points, size, i, time) for i, points in enumerate(found)]

    def _face(self, raw: Points, size: tuple[int, int], slot: int, time: float | None) -> Face:
        points = raw[:, :2]
        if time is not None and not self.static:
            scale = float(np.linalg.norm(points[lm.JAW[0]] - points[lm.JAW[-1]]))
            points = self._smoothers[slot](points, time, scale)
        track = PoseTrack() if self.static else self._tracks[slot]
        return Face(np.ascontiguousarray(points), raw[:, 2], size, track)

    def close(self) -> None:
        self._mesh.close()


class PersonSegmenter:
    """MediaPipe's selfie segmentation (landscape model, ``filters.selfie``) at reduced
    resolution.

    With ``refresh_every`` n > 1 (a live pipeline), ``mask_for`` runs the model on every n-th
    frame only: the model costs as much as the rest of a blur, and a person's outline
    changes little in a frame or two. A frame in between gets the last mask moved by how
    far the face moved since, when the chain tracks faces anyway.
    """

    def __init__(self, max_side: int = 256, refresh_every: int = 1) -> None:
        self.max_side = max_side
        self.refresh_every = refresh_every
        self._model = selfie_model()
        self._last: tuple[Mask, int, Vectors | None] | None = None

    def mask(self, frame: Image) -> Mask:
        """Person probability, float32 0..1, at the reduced resolution (the model's own
        256 × 144, whatever the frame's shape)."""
        return self._model.mask(reduced_rgb(frame, self.max_side))

    def mask_for(self, ctx: FrameContext) -> Mask:
        """The mask for the context's frame: fresh, or reused within ``refresh_every``."""
        if self._last is not None and 1 <= ctx.index - self._last[1] < self.refresh_every:
            mask, _, anchor = self._last
            return _follow(mask, anchor, ctx)
        mask = self.mask(ctx.frame)
        self._last = (mask, ctx.index, _face_anchor(ctx))
        return mask

    def close(self) -> None:
        self._model.close()


def _face_anchor(ctx: FrameContext) -> Vectors | None:
    """The first face's landmark centroid, if this frame's faces are already known."""
    faces = ctx.known_faces
    return faces[0].points.mean(axis=0) if faces else None


def _follow(mask: Mask, anchor: Vectors | None, ctx: FrameContext) -> Mask:
    """``mask`` shifted by the face's motion from ``anchor`` to its place in ``ctx``."""
    now = _face_anchor(ctx)
    if anchor is None or now is None:
        return mask
    height, width = mask.shape
    dx, dy = (now - anchor) * (width / ctx.width, height / ctx.height)
    if abs(dx) < 0.05 and abs(dy) < 0.05:
        return mask
    shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
    return cv2.warpAffine(mask, shift, (width, height), borderMode=cv2.BORDER_REPLICATE)


@lru_cache(maxsize=1)
def still_tracker() -> FaceTracker:
    """A shared static-image tracker for one-off frames (tests, thumbnails, presets)."""
    return FaceTracker(max_faces=2, max_side=1280, static=True)


@lru_cache(maxsize=1)
def still_segmenter() -> PersonSegmenter:
    return PersonSegmenter()


@dataclass(frozen=True)
class Trigger:
    """A one-shot event delivered to the filters with the next frame (for example a gift)."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


class FrameContext:
    """What filters may ask about the current frame, computed lazily at most once.

    Landmarks and the person mask describe the frame as it entered the pipeline; a filter
    that moves the face (a mesh warp) reports the moved landmarks with ``replace_faces``.
    """

    def __init__(
        self,
        frame: Image,
        *,
        index: int = 0,
        time: float = 0.0,
        tracker: FaceTracker | None = None,
        segmenter: PersonSegmenter | None = None,
        events: Sequence[Trigger] = (),
        reuse_buffers: bool = False,
    ) -> None:
        self.frame = frame
        self.index = index
        self.time = time
        self.events = tuple(events)
        self.height, self.width = frame.shape[:2]
        self._tracker = tracker
        self._segmenter = segmenter
        self._faces: list[Face] | None = None
        self._mask_small: Mask | None = None
        self._masks: dict[tuple[int, int], Mask] = {}
        self._cache: dict[str, Any] = {}
        self._reuse_buffers = reuse_buffers
        self._scratch: Image | None = None
        self.colour_maps: tuple[ColourMap, ...] = ()
        """Looks the pipeline folded into the running filter, in chain order
        (``VideoFilter.folds_colour_maps``); empty for any other filter."""

    @property
    def faces(self) -> list[Face]:
        if self._faces is None:
            tracker = self._tracker or still_tracker()
            self._faces = tracker.detect(self.frame, self.time)
        return self._faces

    @property
    def face(self) -> Face | None:
        """The first (largest-confidence) face, or ``None``."""
        faces = self.faces
        return faces[0] if faces else None

    @property
    def known_faces(self) -> list[Face] | None:
        """The faces if a filter has asked for them already (never runs the tracker)."""
        return self._faces

    def replace_faces(self, faces: list[Face]) -> None:
        self._faces = faces
        self._cache.clear()

    def person_mask_small(self) -> Mask:
        """Person probability at the segmenter's reduced resolution (float32 0..1)."""
        if self._mask_small is None:
            segmenter = self._segmenter or still_segmenter()
            self._mask_small = segmenter.mask_for(self)
        return self._mask_small

    def person_mask(self, size: tuple[int, int] | None = None) -> Mask:
        """Person probability (float32 0..1) resized to ``size`` (w, h; default: the frame)."""
        size = size or (self.width, self.height)
        if size not in self._masks:
            small = self.person_mask_small()
            self._masks[size] = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)
        return self._masks[size]

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """Per-frame memo for data several filters derive from the landmarks (skin masks)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return cast(T, self._cache[key])  # a key is always computed by the same function

    def writable(self, frame: Image) -> Image:
        """A copy of ``frame`` to write into; with ``reuse_buffers`` (the pipeline's
        contexts), ``frame`` itself when it is the last copy this context handed out, so a
        chain of region filters copies the frame once instead of once per filter.

        The pipeline's input frame is never written. A filter that keeps a frame beyond its
        ``render`` call must keep a copy, not a frame it got in the chain.
        """
        if self._owns(frame):
            return frame
        return self._adopt(frame.copy())

    def overwritable(self, frame: Image) -> Image:
        """Like ``writable``, for a filter that writes every pixel (``cv2.LUT(frame, table,
        dst=...)``): ``frame`` itself when ``writable`` would hand it back, else a new
        uninitialised frame (no copy)."""
        if self._owns(frame):
            return frame
        return self._adopt(np.empty_like(frame))

    def _owns(self, frame: Image) -> bool:
        return self._reuse_buffers and frame is self._scratch

    def _adopt(self, buffer: Image) -> Image:
        if self._reuse_buffers:
            self._scratch = buffer
        return buffer

    def graded(self, image: Image, *, dst: Image | None = None) -> Image:
        """``image`` through ``colour_maps`` in order, written into ``dst`` when given
        (``image`` itself when there are none)."""
        out = image
        for colour_map in self.colour_maps:
            out = colour_map(out, dst=dst if out is image else out)
        return out

    def triggered(self, name: str) -> list[Trigger]:
        return [event for event in self.events if event.name == name]
