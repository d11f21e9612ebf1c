"""Assertion helpers for the effect tests."""

from __future__ import annotations

import cv2
import numpy as np

from filters.types import Image, Mask


def changed(before: Image, after: Image, threshold: int = 3) -> np.ndarray:
    """Boolean map of pixels that differ by more than ``threshold`` in any channel."""
    return np.abs(before.astype(np.int16) - after.astype(np.int16)).max(axis=2) > threshold


def high_frequency(image: Image, mask: Mask) -> float:
    """Mean absolute Laplacian (grey) inside a boolean ``mask``: texture and edge energy."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(gray, cv2.CV_32F))[mask].mean())


def disc(shape: tuple[int, ...], center: np.ndarray, radius: float) -> np.ndarray:
    """Boolean disc of ``radius`` around ``center`` (x, y) in an image of ``shape``."""
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    return (xs - center[0]) ** 2 + (ys - center[1]) ** 2 <= radius**2
