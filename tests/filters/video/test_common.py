"""Shared image helpers: the 8-bit composite matches the float one; the run-wise composite
matches the full one."""

import cv2
import numpy as np
import pytest

from filters.video.common import blend, blend_u8, composite_behind, gaussian_u8, lift


def test_blend_u8_matches_the_float_blend_within_one_level() -> None:
    rng = np.random.default_rng(5)
    base, layer = (rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(2))
    alpha = rng.integers(0, 256, (48, 64), dtype=np.uint8)
    alpha[:8] = 0
    alpha[8:16] = 255
    exact = blend(base, layer, alpha.astype(np.float32) / 255.0).astype(int)
    fast = blend_u8(base, layer, alpha).astype(int)
    assert np.abs(fast - exact).max() <= 1
    assert (fast[:8] == base[:8]).all() and (fast[8:16] == layer[8:16]).all()


def _person_like_alpha(height: int, width: int) -> np.ndarray:
    """0 around a soft-edged ellipse of 255, like a person mask."""
    alpha = np.zeros((height, width), np.uint8)
    center, axes = (width // 2, height), (width // 4, height * 3 // 4)
    cv2.ellipse(alpha, center, axes, 0, 0, 360, (255,), -1)
    return cv2.GaussianBlur(alpha, (0, 0), 4)


@pytest.mark.parametrize("size", [(720, 1280), (100, 97), (45, 30), (7, 3)])
def test_composite_behind_equals_the_full_blend(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(6)
    front, back = (rng.integers(0, 256, (*size, 3), dtype=np.uint8) for _ in range(2))
    alpha = _person_like_alpha(*size)
    alpha[: size[0] // 3, : size[1] // 5] = rng.integers(0, 256, (size[0] // 3, size[1] // 5))
    expected = blend_u8(back, front, alpha)
    out = front.copy()
    assert composite_behind(out, back, alpha) is out
    assert np.array_equal(out, expected)


@pytest.mark.parametrize("size", [(720, 1280), (100, 97), (7, 3)])
def test_composite_behind_grades_front_as_if_graded_whole(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(8)
    front, back = (rng.integers(0, 256, (*size, 3), dtype=np.uint8) for _ in range(2))
    alpha = _person_like_alpha(*size)
    table = rng.integers(0, 256, (256, 1, 3), dtype=np.uint8)

    def grade(image: np.ndarray, *, dst: np.ndarray | None = None) -> np.ndarray:
        return cv2.LUT(image, table, dst=dst)

    expected = composite_behind(grade(front), back, alpha)
    assert np.array_equal(composite_behind(front.copy(), back, alpha, grade), expected)


@pytest.mark.parametrize("level", [0, 255])
def test_composite_behind_without_mixed_pixels(level: int) -> None:
    front = np.full((50, 60, 3), 10, np.uint8)
    back = np.full((50, 60, 3), 200, np.uint8)
    out = composite_behind(front.copy(), back, np.full((50, 60), level, np.uint8))
    assert np.array_equal(out, front if level else back)


def test_lift_matches_the_float_blend_towards_the_curve_within_one_level() -> None:
    rng = np.random.default_rng(7)
    patch = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    levels = np.arange(256)
    curves = np.stack([levels + (255 - levels) * share for share in (0.1, 0.3, 0.5)], axis=-1)
    curves = np.round(curves).astype(np.uint8)[:, None, :]
    exact = blend(patch, cv2.LUT(patch, curves), alpha.astype(np.float32) / 255.0).astype(int)
    out = patch.copy()
    assert lift(out, curves - levels.astype(np.uint8)[:, None, None], alpha) is out
    assert np.abs(out.astype(int) - exact).max() <= 1


@pytest.mark.parametrize("sigma", [0.5, 1.9, 2.4, 6.0])
@pytest.mark.parametrize("shape", [(90, 160, 3), (184, 160), (9, 7)])
def test_gaussian_u8_is_opencvs_gaussian_within_two_levels(
    sigma: float, shape: tuple[int, ...]
) -> None:
    image = np.random.default_rng(8).integers(0, 256, shape, dtype=np.uint8)
    expected = cv2.GaussianBlur(image, (0, 0), sigma).astype(int)
    difference = np.abs(gaussian_u8(image, sigma).astype(int) - expected)
    assert difference.max() <= 2 and difference.mean() < 0.5  # noise: the hardest case
