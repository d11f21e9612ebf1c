"""The reshape warp moves landmarks by about the amount asked, and only near the face."""

import cv2
import numpy as np

from filters import landmarks as lm
from filters.types import Image
from filters.video.common import Region
from filters.video.reshape import SLIM_MAX, FaceReshape, WarpField, _GridShift
from tests.filters.conftest import MakeContext
from tests.filters.helpers import changed, disc

MID_JAW = [lm.JAW[i] for i in (3, 4, 5, 6, 14, 15, 16, 17)]


def _inward(before: np.ndarray, after: np.ndarray, center_x: float) -> np.ndarray:
    return np.abs(before[:, 0] - center_x) - np.abs(after[:, 0] - center_x)


def test_slimming_moves_the_jaw_in_by_the_amount_asked(
    portrait: Image, make_ctx: MakeContext
) -> None:
    face = make_ctx(portrait).face
    assert face is not None
    effect = FaceReshape(slim=100.0, eyes=0.0, nose=0.0)
    out = effect.process(portrait, make_ctx(portrait))
    moved = make_ctx(out).face
    assert moved is not None
    center_x = float(face.points[lm.CHIN][0])
    measured = _inward(face.at(MID_JAW), moved.at(MID_JAW), center_x)
    asked = _inward(face.at(MID_JAW), effect.field(face).forward(face.at(MID_JAW)), center_x)
    assert asked.mean() > SLIM_MAX * face.width * 0.6
    # Re-detected jaw landmarks follow about two thirds of the image displacement (FaceMesh's
    # shape prior); the visible edge moves by the full amount.
    assert 0.5 < measured.mean() / asked.mean() < 1.5
    eyes = face.at([lm.RIGHT_IRIS_CENTER, lm.LEFT_IRIS_CENTER])
    assert np.abs(moved.at([lm.RIGHT_IRIS_CENTER, lm.LEFT_IRIS_CENTER]) - eyes).max() < 2.5


def test_eye_enlargement_widens_the_eyes(portrait: Image, make_ctx: MakeContext) -> None:
    face = make_ctx(portrait).face
    assert face is not None
    out = FaceReshape(slim=0.0, eyes=100.0, nose=0.0).process(portrait, make_ctx(portrait))
    moved = make_ctx(out).face
    assert moved is not None
    for outer, inner in (
        (lm.RIGHT_EYE_OUTER, lm.RIGHT_EYE_INNER),
        (lm.LEFT_EYE_OUTER, lm.LEFT_EYE_INNER),
    ):
        before = np.linalg.norm(face.points[outer] - face.points[inner])
        after = np.linalg.norm(moved.points[outer] - moved.points[inner])
        assert after > before * 1.04


def test_warp_stays_near_the_face_and_updates_context(
    portrait: Image, make_ctx: MakeContext
) -> None:
    ctx = make_ctx(portrait)
    face = ctx.face
    assert face is not None
    out = FaceReshape(slim=100.0, eyes=100.0, nose=100.0, chin=50.0, vline=100.0).process(
        portrait, ctx
    )
    far = ~disc(portrait.shape, face.points[lm.NOSE_TIP], face.width * 1.3)
    assert not changed(portrait, out)[far].any()
    assert ctx.face is not None and ctx.face is not face
    assert not np.allclose(ctx.face.points, face.points)


def test_empty_field_is_zero() -> None:
    points = np.random.default_rng(0).uniform(0, 100, (20, 2)).astype(np.float32)
    assert np.array_equal(WarpField().at(points), np.zeros_like(points))


def test_remapping_only_the_moving_part_gives_the_full_remaps_pixels(
    scene: Image, make_ctx: MakeContext
) -> None:
    ctx = make_ctx(scene)
    face = ctx.face
    assert face is not None
    effect = FaceReshape(slim=35.0, eyes=25.0, nose=20.0)
    region = Region(*face.roi(0.35, scene.shape[1], scene.shape[0]))
    grid = _GridShift.of(effect.field(face), region)
    width, height = region.size
    assert 0 < grid.moving().size[0] * grid.moving().size[1] < width * height
    dense = cv2.resize(grid.shift, (width, height), interpolation=cv2.INTER_LINEAR)
    map_x = np.arange(width, dtype=np.float32)[None, :] - dense[..., 0]
    map_y = np.arange(height, dtype=np.float32)[:, None] - dense[..., 1]
    expected = scene.copy()
    region.crop(expected)[:] = cv2.remap(
        region.crop(scene), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    difference = np.abs(effect.process(scene, ctx).astype(int) - expected)
    assert difference.max() <= 2  # remap coordinates rounded the other way, rarely
    assert (difference.max(axis=2) > 0).mean() < 1e-4
