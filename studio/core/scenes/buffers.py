"""Pixel buffers used again from frame to frame, never while anyone else still holds them.

A composed canvas leaves the compositor as a program frame: the preview paints it, encoders
read it on their threads, the frame flow keeps it as the newest frame. Drawing the next canvas
into an array one of them still reads would tear their picture. A :class:`BufferPool` hands
out a buffer again only when its own reference is the last one (CPython's reference count:
every holder, a numpy view of it included, counts), and otherwise makes a new one.
"""

from __future__ import annotations

import sys

import numpy as np

from studio.core.sources import Image

# The pool's list, the loop variable and getrefcount's own argument.
_POOL_ONLY = 3


class BufferPool:
    """Up to ``keep`` uint8 buffers of each shape, handed out again once nobody holds them."""

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self.made = 0  # buffers allocated (a test's and a benchmark's view of reuse)
        self._buffers: dict[tuple[int, ...], list[Image]] = {}
        self._taken: set[tuple[int, ...]] = set()  # shapes asked for since ``end_frame``

    def take(self, shape: tuple[int, ...]) -> Image:
        """A buffer of ``shape`` that nothing outside the pool holds (its pixels are stale)."""
        self._taken.add(shape)
        kept = self._buffers.setdefault(shape, [])
        for buffer in kept:
            if sys.getrefcount(buffer) <= _POOL_ONLY:
                return buffer
        self.made += 1
        buffer = np.empty(shape, np.uint8)
        if len(kept) < self.keep:
            kept.append(buffer)
        return buffer

    def end_frame(self) -> None:
        """Let go of the buffers of shapes no one asked for in this frame (a canvas or a
        layer that changed size, a scene switched away from)."""
        if len(self._buffers) > len(self._taken):
            self._buffers = {s: b for s, b in self._buffers.items() if s in self._taken}
        self._taken = set()
