"""The directly-run face meshes: region geometry, MediaPipe's tracking rules and the refined
model in LiteRT."""

import math
import sys

import numpy as np
import pytest

from filters.attention_mesh import AttentionMeshModel, sample_box
from filters.face_mesh import (
    CROP_SIZE,
    EYE_LINE,
    FaceDetector,
    FaceMesh,
    FaceRegion,
    RefinedMeshModel,
)
from filters.synthetic import SyntheticFaceClip


def _to_frame(region: FaceRegion, points: list[tuple[float, float]]) -> np.ndarray:
    matrix = region.crop_to_frame()
    return np.array(points, np.float64) @ matrix[:, :2].T + matrix[:, 2]


def test_crop_corners_land_on_the_region_edges() -> None:
    region = FaceRegion(cx=300.0, cy=200.0, size=96.0, rotation=0.0)
    corners = _to_frame(region, [(0, 0), (CROP_SIZE, 0), (CROP_SIZE, CROP_SIZE)])
    np.testing.assert_allclose(corners, [(252, 152), (348, 152), (348, 248)])


def test_a_turned_region_turns_the_crop_clockwise_on_screen() -> None:
    region = FaceRegion(cx=0.0, cy=0.0, size=CROP_SIZE, rotation=math.pi / 2)
    centre, right_of_centre = _to_frame(region, [(96, 96), (97, 96)])
    np.testing.assert_allclose(centre, (0, 0), atol=1e-9)
    np.testing.assert_allclose(right_of_centre - centre, (0, 1), atol=1e-9)  # crop x → screen down


def test_region_of_landmarks_levels_the_eyes_and_grows_the_box() -> None:
    points = np.zeros((468, 3), np.float32)
    points[:, 0] = np.linspace(100, 200, 468)
    points[:, 1] = np.linspace(50, 130, 468)
    tilt = math.radians(20)
    points[EYE_LINE[0], :2] = (120, 80)
    points[EYE_LINE[1], :2] = (120 + 60 * math.cos(tilt), 80 + 60 * math.sin(tilt))
    region = FaceRegion.of_landmarks(points)
    assert region.rotation == pytest.approx(tilt, abs=1e-6)
    assert region.size == pytest.approx(150.0)
    assert (region.cx, region.cy) == pytest.approx((150.0, 90.0))


def test_overlap_is_intersection_over_union() -> None:
    a = FaceRegion(0.0, 0.0, 10.0, 0.0)
    assert a.overlap(a) == pytest.approx(1.0)
    assert a.overlap(FaceRegion(5.0, 0.0, 10.0, 0.0)) == pytest.approx(50 / 150)
    assert a.overlap(FaceRegion(20.0, 0.0, 10.0, 0.0)) == 0.0


class _CountingDetector(FaceDetector):
    calls = 0

    def regions(self, small_rgb: np.ndarray, width: int, height: int) -> list[FaceRegion]:
        _CountingDetector.calls += 1
        return super().regions(small_rgb, width, height)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> type[_CountingDetector]:
    monkeypatch.setattr("filters.face_mesh.FaceDetector", _CountingDetector)
    _CountingDetector.calls = 0
    return _CountingDetector


def test_a_tracked_face_needs_no_detection_until_it_is_lost(
    counted: type[_CountingDetector],
) -> None:
    clip = SyntheticFaceClip(1280, 720)
    mesh = FaceMesh(max_faces=1, max_side=640, static=False, refined=False)
    found = [len(mesh.landmarks(clip.frame(index))) for index in range(0, 40, 2)]
    assert found == [1] * 20 and counted.calls == 1
    blank = np.full((720, 1280, 3), 90, np.uint8)
    assert mesh.landmarks(blank) == []  # the tracked region shows no face any more
    assert mesh.landmarks(blank) == [] and counted.calls == 2
    assert len(mesh.landmarks(clip.frame(0))) == 1 and counted.calls == 3
    mesh.close()


def test_static_mode_detects_every_frame_and_finds_two_faces(
    counted: type[_CountingDetector],
) -> None:
    left = SyntheticFaceClip(640, 720, face="astronaut").frame(0)
    right = SyntheticFaceClip(640, 720, face="grace_hopper").frame(0)
    frame = np.hstack([left, right])
    mesh = FaceMesh(max_faces=2, max_side=1280, static=True, refined=True)
    for _ in range(3):
        faces = mesh.landmarks(frame)
        assert len(faces) == 2
        centres = sorted(float(face[:, 0].mean()) for face in faces)
        assert centres[0] < 640 < centres[1]
    assert counted.calls == 3
    mesh.close()


def test_without_litert_the_refined_model_stands_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # import fails
    mesh = FaceMesh(max_faces=1, max_side=640, static=False, refined=False)
    faces = mesh.landmarks(SyntheticFaceClip(1280, 720).frame(0))
    assert mesh.points == 478 and len(faces) == 1 and faces[0].shape == (478, 3)
    mesh.close()


def test_the_refined_model_in_litert_finds_mediapipes_points() -> None:
    """The refined model cut around its custom operations (``filters.attention_mesh``) gives
    the points MediaPipe's own graph gives for the same crops, irises and depth included."""
    clip = SyntheticFaceClip(1280, 720)
    graph, lite = RefinedMeshModel(), AttentionMeshModel()
    tracker = FaceMesh(max_faces=1, max_side=640, static=False, refined=True)
    points = tracker.landmarks(clip.frame(0))[0]
    for index in range(1, 30, 4):
        frame = clip.frame(index)
        region = FaceRegion.of_landmarks(points)
        expected, found = graph.run(frame, region), lite.run(frame, region)
        assert expected is not None and found is not None and found.shape == (478, 3)
        np.testing.assert_allclose(found, expected, atol=2e-3)
        points = expected
    assert lite.run(np.full((720, 1280, 3), 90, np.uint8), region) is None  # no face there
    for model in (graph, lite, tracker):
        model.close()


def test_a_box_sample_is_bilinear_between_pixel_centres_and_zero_outside() -> None:
    rows, columns = np.mgrid[0:6, 0:6].astype(np.float32)
    features = np.stack([columns + 10 * rows, np.ones_like(rows)], axis=-1)
    zoom = np.eye(4, dtype=np.float32)
    zoom[:2, :2] *= 0.5
    zoom[:2, 3] = 1.0  # box pixel centre i + 0.5 reads the map at 0.5 i + 0.75
    sampled = sample_box(features, zoom, (4, 3))
    at = np.arange(4, dtype=np.float32) * 0.5 + 0.75
    assert sampled.shape == (3, 4, 2)
    np.testing.assert_allclose(sampled[..., 0], at[None, :4] + 10 * at[:3, None], rtol=1e-6)
    shifted = np.eye(4, dtype=np.float32)
    shifted[:2, 3] = -1.0  # box pixel (0, 0) reads the map at (-1, -1): outside
    beyond = sample_box(features, shifted, (2, 2))
    np.testing.assert_allclose(beyond[0, 0], 0.0)
    np.testing.assert_allclose(beyond[1, 1], features[0, 0])
