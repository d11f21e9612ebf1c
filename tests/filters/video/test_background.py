"""Background blur keeps the person sharp; replacement and chroma key swap the backdrop."""

import cv2
import numpy as np
import pytest

from filters import registry
from filters.base import VideoFilter
from filters.synthetic import SyntheticFaceClip
from filters.types import Image
from filters.video.background import (
    BackgroundBlur,
    BackgroundReplace,
    ChromaKey,
    backdrop,
    person_alpha,
)
from tests.filters.conftest import MakeContext
from tests.filters.helpers import high_frequency


def _zones(clip: SyntheticFaceClip, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Person core and background core (away from the uncertain edge)."""
    mask = clip.person_mask(index)
    kernel = np.ones((41, 41), np.uint8)
    person = cv2.erode((mask > 128).astype(np.uint8), kernel) > 0
    background = cv2.erode((mask < 20).astype(np.uint8), kernel) > 0
    return person, background


def test_background_blur_keeps_the_person_sharp(
    clip: SyntheticFaceClip, scene: Image, make_ctx: MakeContext
) -> None:
    person, background = _zones(clip, 12)
    textured = scene.copy()
    noise = np.random.default_rng(0).integers(-40, 40, scene.shape)
    textured[background] = np.clip(scene.astype(int) + noise, 0, 255).astype(np.uint8)[background]
    out = BackgroundBlur(strength=80.0).process(textured, make_ctx(textured))
    assert high_frequency(out, background) < high_frequency(textured, background) * 0.2
    assert high_frequency(out, person) > high_frequency(textured, person) * 0.9
    assert np.abs(out[person].astype(int) - textured[person]).mean() < 2


def test_background_replacement_uses_the_scene(
    clip: SyntheticFaceClip, scene: Image, make_ctx: MakeContext
) -> None:
    person, background = _zones(clip, 12)
    out = BackgroundReplace(image="night").process(scene, make_ctx(scene))
    night = backdrop("night", scene.shape[1], scene.shape[0])
    assert np.abs(out[background].astype(int) - night[background]).mean() < 6
    assert np.abs(out[person].astype(int) - scene[person]).mean() < 3


def test_chroma_key_removes_a_green_backdrop(clip: SyntheticFaceClip) -> None:
    alpha = clip.person_mask(12).astype(np.float32)[..., None] / 255.0
    subject = clip.frame(12)
    green = np.zeros_like(subject)
    green[:] = (40, 200, 50)
    shot = (subject * alpha + green * (1 - alpha)).astype(np.uint8)
    person, background = _zones(clip, 12)
    out = ChromaKey(key="#32c828", replace_with="color", fill="#2040ff").process(shot, None)  # type: ignore[arg-type]
    assert np.abs(out[background].astype(int) - (255, 64, 32)).max() <= 2
    assert np.abs(out[person].astype(int) - shot[person]).mean() < 8


def test_chroma_key_edges_mix_with_the_scene_without_a_green_fringe(
    clip: SyntheticFaceClip,
) -> None:
    alpha = clip.person_mask(12).astype(np.float32)[..., None] / 255.0
    subject = clip.frame(12).astype(np.float32)
    shot = (subject * alpha + np.array((40, 200, 50), np.float32) * (1 - alpha)).astype(np.uint8)
    out = ChromaKey(key="#32c828", replace_with="color", fill="#2040ff").process(shot, None)  # type: ignore[arg-type]
    ideal = subject * alpha + np.array((255, 64, 32), np.float32) * (1 - alpha)
    edge = (alpha[..., 0] > 0.05) & (alpha[..., 0] < 0.95)
    assert edge.sum() > 10_000
    # A hard matte keeps half-green edge pixels as they are (mean error ~26 here).
    assert np.abs(out[edge] - ideal[edge]).mean() < 18


def _green_excess(image: Image) -> float:
    return float(image[..., 1].mean() - (image[..., 0].mean() + image[..., 2].mean()) / 2)


def test_spill_suppression_removes_green_cast() -> None:
    tinted = np.full((20, 20, 3), (120, 190, 140), np.uint8)  # greenish skin
    plain = ChromaKey(similarity=0.0, smoothness=0.0, spill=0.0).process(tinted, None)  # type: ignore[arg-type]
    cleaned = ChromaKey(similarity=0.0, smoothness=0.0, spill=100.0).process(tinted, None)  # type: ignore[arg-type]

    assert _green_excess(cleaned) < _green_excess(plain) - 20


def test_key_colour_is_adjustable() -> None:
    blue_screen = np.full((10, 10, 3), (220, 40, 30), np.uint8)
    out = ChromaKey(key="#1e28dc", replace_with="color", fill="#ffffff").process(blue_screen, None)  # type: ignore[arg-type]
    assert out.min() >= 250


def _graded_then_folded(
    look: str, effect: VideoFilter, scene: Image, make_ctx: MakeContext
) -> tuple[Image, Image]:
    """``effect`` after the look, and ``effect`` with the look folded into it."""
    grade = registry.create(f"color.{look}")
    assert isinstance(grade, VideoFilter)
    graded_first = effect.process(grade.process(scene, make_ctx(scene)), make_ctx(scene))
    colour_map = grade.colour_map()
    assert colour_map is not None
    folded = make_ctx(scene)
    folded.colour_maps = (colour_map,)
    return graded_first, effect.process(scene, folded)


@pytest.mark.parametrize("look", ["warm", "cinematic"])  # per-channel curves; a 3D LUT
def test_a_look_folded_into_the_replacement_gives_the_frame_of_grading_first(
    look: str, scene: Image, make_ctx: MakeContext
) -> None:
    replace = BackgroundReplace(image="sunset", edge=60.0, opacity=80.0)
    graded_first, folded = _graded_then_folded(look, replace, scene, make_ctx)
    assert np.array_equal(folded, graded_first)


@pytest.mark.parametrize("look", ["warm", "cinematic"])
def test_a_look_folded_into_the_blur_grades_the_person_exactly_and_the_background_closely(
    look: str, clip: SyntheticFaceClip, scene: Image, make_ctx: MakeContext
) -> None:
    blur = BackgroundBlur()
    graded_first, folded = (
        image.astype(int) for image in _graded_then_folded(look, blur, scene, make_ctx)
    )
    person = person_alpha(make_ctx(scene), blur.number("edge") / 100.0) == 255
    assert person.mean() > 0.15
    assert np.array_equal(folded[person], graded_first[person])
    background = _zones(clip, 12)[1]
    difference = np.abs(folded[background] - graded_first[background])
    assert difference.mean() < 0.2 and difference.max() <= 2  # 0.01-0.07 and 2 measured
