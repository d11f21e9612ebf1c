import numpy as np
import pytest

from filters.synthetic import SAMPLE_FACES, SyntheticFaceClip


@pytest.mark.parametrize("face", sorted(SAMPLE_FACES))
def test_frames_are_bgr_uint8_and_loop(face: str) -> None:
    clip = SyntheticFaceClip(320, 180, fps=10.0, face=face, period_s=2.0)
    first = clip.frame(3)
    assert first.shape == (180, 320, 3)
    assert first.dtype == np.uint8
    assert np.array_equal(first, clip.frame(3 + clip.n_frames))
    assert not np.array_equal(first, clip.frame(4))


def test_transform_maps_face_center_inside_frame() -> None:
    clip = SyntheticFaceClip(640, 360, seed=3)
    center = np.array([SAMPLE_FACES["astronaut"].face_center])
    for index in range(0, clip.n_frames, 17):
        x, y = clip.map_points(center, index)[0]
        assert 0 < x < 640
        assert 0 < y < 360


def test_person_mask_covers_mapped_face() -> None:
    clip = SyntheticFaceClip(640, 360)
    center = clip.map_points(np.array([SAMPLE_FACES["astronaut"].face_center]), 7)[0]
    mask = clip.person_mask(7)
    assert mask.shape == (360, 640)
    assert mask[int(center[1]), int(center[0])] > 200
    assert mask[5, 5] < 30


def test_unknown_face_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown face"):
        SyntheticFaceClip(64, 64, face="nobody")
