"""Beauty effects change the skin and leave eyes, lips and background alone."""

import numpy as np

from filters import landmarks as lm
from filters.types import Image
from filters.video.beauty import Brighten, SkinSmoothing, Whiten
from tests.filters.conftest import MakeContext
from tests.filters.helpers import changed, disc, high_frequency


def _regions(portrait: Image, make_ctx: MakeContext) -> dict[str, np.ndarray]:
    face = make_ctx(portrait).face
    assert face is not None
    shape = portrait.shape
    cheek_r = face.width * 0.07
    return {
        "cheeks": disc(shape, face.points[lm.RIGHT_CHEEK], cheek_r)
        | disc(shape, face.points[lm.LEFT_CHEEK], cheek_r),
        "eyes": disc(shape, face.points[lm.RIGHT_IRIS_CENTER], face.width * 0.06)
        | disc(shape, face.points[lm.LEFT_IRIS_CENTER], face.width * 0.06),
        "lips": disc(shape, face.points[13], face.width * 0.05),
        "far": ~disc(shape, face.points[lm.NOSE_TIP], face.width * 1.3),
    }


def test_smoothing_removes_cheek_texture_but_keeps_eyes_and_lips(
    portrait: Image, make_ctx: MakeContext
) -> None:
    regions = _regions(portrait, make_ctx)
    out = SkinSmoothing(amount=100.0).process(portrait, make_ctx(portrait))
    before, after = (
        high_frequency(portrait, regions["cheeks"]),
        high_frequency(out, regions["cheeks"]),
    )
    assert after < before * 0.75
    for feature in ("eyes", "lips"):
        kept = high_frequency(out, regions[feature]) / high_frequency(portrait, regions[feature])
        assert kept > 0.9, feature
    assert not changed(portrait, out)[regions["far"]].any()


def test_smoothing_scales_with_amount(portrait: Image, make_ctx: MakeContext) -> None:
    cheeks = _regions(portrait, make_ctx)["cheeks"]
    energies = [
        high_frequency(SkinSmoothing(amount=a).process(portrait, make_ctx(portrait)), cheeks)
        for a in (20.0, 60.0, 100.0)
    ]
    assert energies[0] > energies[1] > energies[2]


def test_whitening_brightens_skin_only(portrait: Image, make_ctx: MakeContext) -> None:
    regions = _regions(portrait, make_ctx)
    out = Whiten(amount=100.0).process(portrait, make_ctx(portrait))
    cheeks = regions["cheeks"]
    assert out[cheeks].mean() > portrait[cheeks].mean() + 8
    blue_gain = out[cheeks][:, 0].mean() - portrait[cheeks][:, 0].mean()
    red_gain = out[cheeks][:, 2].mean() - portrait[cheeks][:, 2].mean()
    assert blue_gain > red_gain  # less yellow
    assert not changed(portrait, out)[regions["far"]].any()
    assert np.abs(out[regions["eyes"]].astype(int) - portrait[regions["eyes"]]).mean() < 4


def test_brighten_lifts_the_face_not_the_surroundings(
    portrait: Image, make_ctx: MakeContext
) -> None:
    regions = _regions(portrait, make_ctx)
    out = Brighten(amount=100.0).process(portrait, make_ctx(portrait))
    assert out[regions["cheeks"]].mean() > portrait[regions["cheeks"]].mean() + 5
    assert not changed(portrait, out)[regions["far"]].any()
