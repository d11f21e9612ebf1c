"""Array aliases shared by the effects.

OpenCV's stubs type every result as a generic numeric array, so the aliases keep the dtype
open; the docstrings say what each one holds.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias

import numpy as np
from numpy.typing import NDArray

Image: TypeAlias = NDArray[Any]
"""A BGR ``uint8`` frame, ``(height, width, 3)``."""

Mask: TypeAlias = NDArray[Any]
"""A single-channel mask, ``(height, width)``: ``uint8`` 0..255 or ``float32`` 0..1."""

Points: TypeAlias = NDArray[np.float32]
"""``(N, 2)`` pixel coordinates (x, y)."""

Affine: TypeAlias = NDArray[np.float64]
"""A 2x3 affine transform."""

Transform: TypeAlias = NDArray[np.float64]
"""A 2x3 affine or a 3x3 perspective transform."""

Vectors: TypeAlias = NDArray[np.floating[Any]]
"""Real coordinates, float32 or float64: a point ``(2,)``, a set ``(N, 2)`` or a profile
``(N,)`` along a landmark chain."""

Table: TypeAlias = NDArray[np.uint8]
"""A ``cv2.LUT`` table of the 256 levels: ``(256,)`` or ``(256, 1, channels)``."""


class ColourMap(Protocol):
    """A colour look as a function of each pixel alone: ``image`` graded, written into
    ``dst`` when given (which may be ``image`` itself, or a view of a frame)."""

    def __call__(self, image: Image, *, dst: Image | None = None) -> Image: ...
