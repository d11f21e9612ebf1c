"""The One Euro filter: still points lose their noise, moving points are followed."""

import numpy as np

from filters.one_euro import OneEuroFilter

FACE_WIDTH = 200.0
NOISE_PX = 0.3
"""About FaceMesh's frame-to-frame jitter on a 200 px wide face."""


def _noisy_track(motion: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    times = np.arange(120) / 30.0
    truth = np.stack([100 + motion * times, np.full_like(times, 50.0)], axis=1)
    return times, truth + rng.normal(0, NOISE_PX, truth.shape)


def _filtered(times: np.ndarray, track: np.ndarray) -> np.ndarray:
    smoother = OneEuroFilter()
    return np.array(
        [
            smoother(p[None, :].astype(np.float32), t, FACE_WIDTH)[0]
            for t, p in zip(times, track, strict=True)
        ]
    )


def test_still_points_lose_most_of_their_noise() -> None:
    times, track = _noisy_track(motion=0.0)
    out = _filtered(times, track)
    assert np.std(out[30:, 0]) < np.std(track[30:, 0]) * 0.7


def test_fast_motion_is_followed_without_lag() -> None:
    times, track = _noisy_track(motion=600.0)  # three face widths a second
    out = _filtered(times, track)
    truth = 100 + 600.0 * times
    assert np.abs(np.mean(out[30:, 0] - truth[30:])) < 2.0


def test_a_new_shape_or_a_step_back_in_time_starts_afresh() -> None:
    smoother = OneEuroFilter()
    first = np.zeros((3, 2), np.float32)
    smoother(first, 0.0, 100.0)
    jump = np.full((3, 2), 40.0, np.float32)
    assert np.array_equal(smoother(jump, 0.0, 100.0), jump)
    other = np.ones((5, 2), np.float32)
    assert np.array_equal(smoother(other, 1.0, 100.0), other)
