"""Landmark accuracy and head pose on the synthetic moving-face clip (known ground truth)."""

from functools import lru_cache

import cv2
import numpy as np
import pytest

from filters.context import (
    Face,
    FaceTracker,
    FrameContext,
    PersonSegmenter,
    camera_matrix,
    solve_pose,
)
from filters.synthetic import SyntheticFaceClip
from filters.types import Image, Points


@lru_cache(maxsize=2)
def _reference(face: str) -> Points:
    """Ground-truth landmarks on the still portrait: static full-resolution detections (with
    irises) on frames of a differently-seeded clip, mapped back through the known transforms
    and averaged."""
    clip = SyntheticFaceClip(1280, 720, seed=101, face=face)
    still = FaceTracker(max_side=1280, static=True)
    mapped = []
    for index in range(0, clip.n_frames, clip.n_frames // 12):
        points = still.detect(clip.frame(index))[0].points
        inverse = cv2.invertAffineTransform(clip.transform(index))
        mapped.append(points @ inverse[:, :2].T + inverse[:, 2])
    still.close()
    return np.mean(mapped, axis=0).astype(np.float32)


# The base mesh (no attention model) is measured against the same refined ground truth; it
# sits ~2.1-2.4 px from it (model disagreement, as large in static full-resolution mode), so
# it is held to its own bound and only serves filters that do not declare "refined".
@pytest.mark.parametrize(
    ("refined", "bound"), [(True, 2.0), (False, 2.5)], ids=["refined", "base_mesh"]
)
@pytest.mark.parametrize("face", ["astronaut", "grace_hopper"])
def test_tracking_accuracy_at_720p(face: str, refined: bool, bound: float) -> None:
    reference = _reference(face)
    clip = SyntheticFaceClip(1280, 720, seed=0, face=face)
    tracker = FaceTracker(refined=refined)  # as the pipeline's: tracking, reduced resolution
    errors = []
    for index in range(0, 90, 2):
        faces = tracker.detect(clip.frame(index))
        assert len(faces) == 1
        points = faces[0].points
        assert len(points) == (478 if refined else 468)
        truth = clip.map_points(reference[: len(points)], index)
        errors.append(np.median(np.linalg.norm(points - truth, axis=1)))
    tracker.close()
    assert np.median(errors) <= bound
    assert np.max(errors) <= 4.0


@pytest.mark.parametrize("face", ["astronaut", "grace_hopper"])
def test_landmark_smoothing_removes_jitter_and_keeps_accuracy(face: str) -> None:
    reference = _reference(face)
    clip = SyntheticFaceClip(1280, 720, seed=0, face=face)
    frames = [clip.frame(index) for index in range(90)]

    def track(timed: bool) -> tuple[float, float, float]:
        """Median and worst per-frame median error, and the median frame-to-frame change
        of each landmark's error (jitter: the ground truth's own motion is taken out)."""
        tracker = FaceTracker()
        errors = []
        for index, frame in enumerate(frames):
            found = tracker.detect(frame, index / clip.fps if timed else None)[0].points
            errors.append(found - clip.map_points(reference, index))
        tracker.close()
        offsets = np.array(errors)
        per_frame = np.median(np.linalg.norm(offsets, axis=2), axis=1)
        jitter = np.median(np.linalg.norm(np.diff(offsets, axis=0), axis=2))
        return float(np.median(per_frame)), float(per_frame.max()), float(jitter)

    _, _, raw_jitter = track(timed=False)
    median, worst, jitter = track(timed=True)
    # Smoothed jitter is ~0.85 (astronaut) and ~0.75 of the raw: 0.852 with the refined model
    # in LiteRT, 0.849 through MediaPipe's graph, whose points differ by ~1e-4 px a frame and
    # drift apart over the clip as each frame's crop follows the last frame's points.
    assert jitter < raw_jitter * 0.87
    assert median <= 2.0
    assert worst <= 4.0


def test_head_pose_follows_in_plane_rotation() -> None:
    clip = SyntheticFaceClip(1280, 720, seed=0)
    tracker = FaceTracker(max_side=1280, static=True)
    frontal = tracker.detect(clip.frame(0))[0]
    rolls = []
    for index in range(0, clip.n_frames, 20):
        face = tracker.detect(clip.frame(index))[0]
        matrix = clip.transform(index)
        applied = np.degrees(np.arctan2(matrix[1, 0], matrix[0, 0]))
        rolls.append((applied, face.pose.roll))
        assert abs(face.pose.yaw) < 20 and abs(face.pose.pitch) < 25
    tracker.close()
    applied, measured = np.array(rolls).T
    offset = frontal.pose.roll - np.degrees(np.arctan2(*clip.transform(0)[[1, 0], 0]))
    assert np.corrcoef(measured, applied)[0, 1] > 0.9
    assert np.median(np.abs(measured - offset - applied)) < 4.0


def test_projecting_the_model_reproduces_the_landmarks() -> None:
    clip = SyntheticFaceClip(1280, 720)
    face = FaceTracker(max_side=1280, static=True).detect(clip.frame(30))[0]
    from filters.context import POSE_LANDMARKS, POSE_MODEL

    projected = face.pose.project(POSE_MODEL)
    error = np.linalg.norm(projected - face.points[list(POSE_LANDMARKS)], axis=1)
    assert np.median(error) < face.width * 0.06
    again = solve_pose(face.points, 1280, 720, face.pose)
    assert abs(again.yaw - face.pose.yaw) < 1.0
    assert camera_matrix(1280, 720)[0, 2] == 640


def test_context_is_lazy_and_cached(clip: SyntheticFaceClip) -> None:
    class Counting(FaceTracker):
        calls = 0

        def detect(self, frame: Image, time: float | None = None) -> list[Face]:
            Counting.calls += 1
            return super().detect(frame, time)

    tracker = Counting(static=True)
    ctx = FrameContext(clip.frame(0), tracker=tracker)
    assert Counting.calls == 0
    assert ctx.face is ctx.faces[0]
    _ = ctx.faces
    assert Counting.calls == 1
    mask = ctx.person_mask()
    assert mask.shape == (720, 1280) and mask.dtype == np.float32
    assert ctx.person_mask() is mask
    assert ctx.shared("k", lambda: 1) == 1 and ctx.shared("k", lambda: 2) == 1
    tracker.close()


def test_no_face_means_empty_list() -> None:
    blank = np.full((360, 640, 3), 90, np.uint8)
    ctx = FrameContext(blank, tracker=FaceTracker(static=True))
    assert ctx.faces == [] and ctx.face is None


def test_writable_copies_foreign_frames_once() -> None:
    frame = np.zeros((4, 6, 3), np.uint8)
    assert FrameContext(frame).writable(frame) is not frame
    plain = FrameContext(frame)
    once = plain.writable(frame)
    assert plain.writable(once) is not once  # only the pipeline's contexts reuse buffers
    ctx = FrameContext(frame, reuse_buffers=True)
    mine = ctx.writable(frame)
    assert mine is not frame
    assert ctx.writable(mine) is mine
    assert ctx.writable(mine.copy()) is not mine
    mine[:] = 7
    assert not frame.any()


def test_landmarks_are_read_from_the_serialized_list_or_attribute_by_attribute() -> None:
    from mediapipe.framework.formats import landmark_pb2

    from filters.face_mesh import landmark_array

    values = np.random.default_rng(2).uniform(-1, 1, (5, 3)).astype(np.float32)
    marks = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in values:
        point = marks.landmark.add()
        point.x, point.y, point.z = x, y, z
    assert np.array_equal(landmark_array(marks), values)
    marks.landmark[2].visibility = 0.5  # a record of another shape: the slow path
    marks.landmark[4].ClearField("z")
    expected = values.copy()
    expected[4, 2] = 0.0
    assert np.array_equal(landmark_array(marks), expected)


def _iou(mask: np.ndarray, truth: np.ndarray) -> float:
    person, real = mask > 0.5, truth > 127
    return float((person & real).sum() / (person | real).sum())


def test_a_live_segmenter_reuses_every_other_mask_and_follows_the_face() -> None:
    clip = SyntheticFaceClip(1280, 720, seed=3)
    tracker = FaceTracker(refined=False)
    live, fresh = PersonSegmenter(refresh_every=2), PersonSegmenter()
    calls = 0
    segment = live.mask

    def counted(frame: Image) -> np.ndarray:
        nonlocal calls
        calls += 1
        return segment(frame)

    live.mask = counted  # type: ignore[method-assign]
    reused, moved, exact = [], [], []
    for index in range(40):
        frame = clip.frame(index)
        ctx = FrameContext(frame, index=index, time=index / 30, tracker=tracker, segmenter=live)
        assert ctx.faces
        size = (1280, 720)
        truth = clip.person_mask(index)
        mask = cv2.resize(ctx.person_mask_small(), size)
        if index % 2:
            still = cv2.resize(live._last[0], size)  # type: ignore[index]
            reused.append(_iou(mask, truth))
            moved.append(_iou(still, truth))
            exact.append(_iou(cv2.resize(fresh.mask(frame), size), truth))
    assert calls == 20
    assert np.mean(reused) > np.mean(moved)  # following the face beats a still mask
    assert np.mean(reused) >= np.mean(exact) - 0.01
    for segmenter in (live, fresh):
        segmenter.close()
    tracker.close()


def test_contexts_of_unrelated_frames_never_share_a_mask() -> None:
    segmenter = PersonSegmenter(refresh_every=2)
    person = SyntheticFaceClip(640, 360).frame(0)
    empty = np.full_like(person, 90)
    masks = [FrameContext(f, segmenter=segmenter).person_mask_small() for f in (person, empty)]
    assert masks[0].max() > 0.9 and masks[1].max() < 0.5
    segmenter.close()
