"""AR effects follow the face: masks with head pose, stickers with position/scale/rotation."""

import numpy as np

from filters import landmarks as lm
from filters.context import FaceTracker, FrameContext
from filters.synthetic import SyntheticFaceClip
from filters.types import Image
from filters.video.ar import AnimatedSticker, FaceMask, LandmarkView, _frame_at
from filters.video.sprites import load_frames, resolve
from tests.filters.conftest import MakeContext
from tests.filters.helpers import changed, disc


def _centroid(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


def test_mask_follows_the_head_through_the_clip(clip: SyntheticFaceClip) -> None:
    tracker = FaceTracker(max_side=1280, static=True)
    glasses = FaceMask(mask="sunglasses")
    for index in (0, 60, 120, 180):
        frame = clip.frame(index)
        ctx = FrameContext(frame, tracker=tracker)
        face = ctx.face
        assert face is not None
        drawn = changed(frame, glasses.process(frame, ctx), 30)
        eyes = face.at([lm.RIGHT_IRIS_CENTER, lm.LEFT_IRIS_CENTER]).mean(axis=0)
        assert np.linalg.norm(_centroid(drawn) - eyes) < face.eye_distance * 0.35
        xs = np.nonzero(drawn)[1]
        assert 1.4 < (xs.max() - xs.min()) / face.eye_distance < 3.2
    tracker.close()


def test_masks_rotate_with_roll(clip: SyntheticFaceClip, make_ctx: MakeContext) -> None:
    angles = []
    for index in range(0, clip.n_frames, 30):
        frame = clip.frame(index)
        drawn = changed(frame, FaceMask(mask="sunglasses").process(frame, make_ctx(frame)), 30)
        ys, xs = np.nonzero(drawn)
        slope = np.polyfit(xs, ys, 1)[0]
        matrix = clip.transform(index)
        angles.append(
            (np.degrees(np.arctan(slope)), np.degrees(np.arctan2(matrix[1, 0], matrix[0, 0])))
        )
    drawn_angles, applied = np.array(angles).T
    assert np.corrcoef(drawn_angles, applied)[0, 1] > 0.9


def test_landmark_view_draws_on_the_face(scene: Image, make_ctx: MakeContext) -> None:
    ctx = make_ctx(scene)
    face = ctx.face
    assert face is not None
    out = LandmarkView(show_pose=False).process(scene, ctx)
    diff = changed(scene, out, 10)
    assert diff.sum() > 1000
    assert not diff[~disc(scene.shape, face.points[lm.NOSE_TIP], face.width * 0.9)].any()


def test_animated_sticker_animates_and_anchors(scene: Image, make_ctx: MakeContext) -> None:
    sticker = AnimatedSticker(sticker="twinkle", anchor="nose")
    first = sticker.process(scene, make_ctx(scene))
    ctx = make_ctx(scene)
    ctx.time = 0.5
    later = sticker.process(scene, ctx)
    assert not np.array_equal(first, later)
    face = ctx.face
    assert face is not None
    drawn = changed(scene, later, 20)
    assert np.linalg.norm(_centroid(drawn) - face.points[lm.NOSE_TIP]) < face.eye_distance * 0.6


def test_gif_apng_and_sprite_sheets_load() -> None:
    for name, count in (("heart_beat", 12), ("twinkle", 16), ("spinning_star_4x4", 16)):
        path = resolve(name, "stickers")
        frames = load_frames(path)
        assert len(frames) == count
        assert frames[0].shape[2] == 4
        assert _frame_at(path, 0.0).shape == frames[0].shape
