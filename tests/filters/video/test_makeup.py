"""Makeup changes colour where it belongs and nowhere else."""

import cv2
import numpy as np
import pytest

from filters import landmarks as lm
from filters.context import FaceTracker, FrameContext
from filters.types import Image
from filters.video.common import polygon_mask
from filters.video.makeup import (
    Blush,
    Contour,
    Eyeliner,
    Eyeshadow,
    Foundation,
    Lipstick,
    _Makeup,
)
from tests.filters.conftest import MakeContext
from tests.filters.helpers import changed, disc
from tests.filters.video.makeup_before import (
    BlushBefore,
    ContourBefore,
    EyelinerBefore,
    EyeshadowBefore,
    FoundationBefore,
)


def _hue(image: Image, mask: np.ndarray) -> float:
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV_FULL)
    angles = hsv[..., 0][mask].astype(np.float64) / 256.0 * 2 * np.pi
    return float(np.degrees(np.angle(np.exp(1j * angles).mean())) % 360)


# Lipstick runs on the base mesh (it does not declare "refined"); the lips it is judged
# against are the refined model's.
@pytest.mark.parametrize("refined", [True, False], ids=["refined", "base_mesh"])
@pytest.mark.parametrize("color,target_hue", [("#1f4fd8", 225.0), ("#8b1fd8", 276.0)])
def test_lipstick_changes_hue_inside_the_lips_only(
    portrait: Image,
    make_ctx: MakeContext,
    base_tracker: FaceTracker,
    color: str,
    target_hue: float,
    refined: bool,
) -> None:
    face = make_ctx(portrait).face
    assert face is not None
    size = (portrait.shape[1], portrait.shape[0])
    lips = polygon_mask(size, [face.at(lm.LIPS_OUTER)]) > 0
    mouth = polygon_mask(size, [face.at(lm.LIPS_INNER)]) > 0
    lip_core = cv2.erode((lips & ~mouth).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    ctx = make_ctx(portrait) if refined else FrameContext(portrait, tracker=base_tracker)
    out = Lipstick(color=color, intensity=100.0).process(portrait, ctx)
    hue_error = abs((_hue(out, lip_core) - target_hue + 180) % 360 - 180)
    assert hue_error < 20
    grown = cv2.dilate(lips.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    outside = changed(portrait, out)[~grown]
    assert not outside.any()
    teeth = cv2.erode(mouth.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    assert np.abs(out[teeth].astype(int) - portrait[teeth]).mean() < 6


@pytest.mark.parametrize(
    "effect,anchors",
    [
        (Eyeshadow(intensity=100.0), (lm.RIGHT_IRIS_CENTER, lm.LEFT_IRIS_CENTER)),
        (Eyeliner(intensity=100.0), (lm.RIGHT_IRIS_CENTER, lm.LEFT_IRIS_CENTER)),
        (Blush(intensity=100.0), (lm.RIGHT_CHEEK, lm.LEFT_CHEEK)),
    ],
)
def test_local_makeup_stays_local(
    portrait: Image, make_ctx: MakeContext, effect: object, anchors: tuple[int, int]
) -> None:
    face = make_ctx(portrait).face
    assert face is not None
    out = effect.process(portrait, make_ctx(portrait))  # type: ignore[attr-defined]
    diff = changed(portrait, out)
    near = disc(portrait.shape, face.points[anchors[0]], face.width * 0.35) | disc(
        portrait.shape, face.points[anchors[1]], face.width * 0.35
    )
    assert diff[near].sum() > 200
    assert not diff[~near].any()


def test_face_wide_makeup_stays_on_the_face(portrait: Image, make_ctx: MakeContext) -> None:
    face = make_ctx(portrait).face
    assert face is not None
    far = ~disc(portrait.shape, face.points[lm.NOSE_TIP], face.width * 1.2)
    for effect in (Foundation(coverage=100.0), Contour(intensity=100.0)):
        out = effect.process(portrait, make_ctx(portrait))
        diff = changed(portrait, out)
        assert diff.sum() > 500, effect.id
        assert not diff[far].any(), effect.id


def test_contour_darkens_cheek_hollows(portrait: Image, make_ctx: MakeContext) -> None:
    face = make_ctx(portrait).face
    assert face is not None
    out = Contour(intensity=100.0).process(portrait, make_ctx(portrait))
    hollow = disc(portrait.shape, face.points[lm.RIGHT_CHEEK_HOLLOW[2]], face.width * 0.03)
    assert out[hollow].mean() < portrait[hollow].mean() - 2


@pytest.mark.parametrize(
    "now,before",
    [
        (
            Eyeshadow(color="#7a3f6e", intensity=100.0),
            EyeshadowBefore(color="#7a3f6e", intensity=100.0),
        ),
        (Blush(intensity=100.0), BlushBefore(intensity=100.0)),
        (Eyeliner(intensity=85.0, wing=0.8), EyelinerBefore(intensity=85.0, wing=0.8)),
        (Foundation(coverage=100.0), FoundationBefore(coverage=100.0)),
        (Contour(intensity=100.0), ContourBefore(intensity=100.0)),
    ],
    ids=lambda effect: type(effect).__name__,
)
def test_eight_bit_makeup_matches_the_float_version_it_replaced(
    portrait: Image, make_ctx: MakeContext, now: _Makeup, before: _Makeup
) -> None:
    expected = before.process(portrait, make_ctx(portrait))
    out = now.process(portrait, make_ctx(portrait))
    error = np.abs(out.astype(int) - expected)
    touched = changed(portrait, expected) | changed(portrait, out)
    assert touched.sum() > 200
    assert error.max() <= 3  # two 8-bit blends in a row (contour): within a level each
    assert error[touched].mean() < 0.5
