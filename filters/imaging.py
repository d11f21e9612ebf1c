"""Image helpers the models share: reduced copies of frames."""

from __future__ import annotations

import cv2

from filters.types import Image


def downscale(frame: Image, max_side: int) -> Image:
    """``frame`` shrunk so its longer side is at most ``max_side``: halved bilinearly (a
    2×2 mean) while it is twice too large, then bilinearly the rest of the way (less than
    2×, so nothing aliases); an area resize at an odd ratio costs several times more."""
    while max(frame.shape[:2]) >= 2 * max_side:
        height, width = frame.shape[:2]
        frame = cv2.resize(frame, (width // 2, height // 2), interpolation=cv2.INTER_LINEAR)
    height, width = frame.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return frame
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)


def reduced_rgb(frame: Image, max_side: int) -> Image:
    """An RGB copy of the BGR ``frame`` with its longer side at most ``max_side``."""
    return cv2.cvtColor(downscale(frame, max_side), cv2.COLOR_BGR2RGB)
