"""One Euro filter for landmark trajectories (Casiez, Roussel, Vogel, CHI 2012).

A low-pass filter whose cutoff rises with speed: still faces lose their frame-to-frame
jitter, moving faces are followed without lag. Speeds are measured in face widths per
second, so the same settings work at any resolution and distance from the camera.
"""

from __future__ import annotations

import math

import numpy as np

from filters.types import Points, Vectors

MIN_CUTOFF_HZ = 3.0
SPEED_COEFFICIENT = 40.0
"""Cutoff added per face width per second of landmark speed."""
SPEED_CUTOFF_HZ = 1.0


def _smoothing(cutoff: Vectors | float, dt: float) -> Vectors | float:
    """The exponential smoothing factor of a first-order low-pass at ``cutoff`` Hz."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters ``(n, 2)`` point sets arriving at increasing times."""

    def __init__(
        self,
        min_cutoff: float = MIN_CUTOFF_HZ,
        beta: float = SPEED_COEFFICIENT,
        speed_cutoff: float = SPEED_CUTOFF_HZ,
    ) -> None:
        self.min_cutoff, self.beta, self.speed_cutoff = min_cutoff, beta, speed_cutoff
        self._points: Points | None = None
        self._speed = np.zeros(0)
        self._time = 0.0

    def __call__(self, points: Points, time: float, scale: float) -> Points:
        """The filtered ``points`` at ``time`` (seconds); ``scale`` (pixels, e.g. the face
        width) normalises speeds. A shape change or a step back in time starts afresh."""
        previous = self._points
        dt = time - self._time
        if previous is None or previous.shape != points.shape or dt <= 0:
            self._points, self._speed, self._time = points.copy(), np.zeros(len(points)), time
            return points
        velocity = np.linalg.norm(points - previous, axis=1) / (dt * max(scale, 1.0))
        self._speed = self._speed + _smoothing(self.speed_cutoff, dt) * (velocity - self._speed)
        alpha = _smoothing(self.min_cutoff + self.beta * self._speed, dt)
        filtered: Points = (previous + np.asarray(alpha)[:, None] * (points - previous)).astype(
            np.float32
        )
        self._points, self._time = filtered, time
        return filtered
