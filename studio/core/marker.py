"""A frame-number marker drawn into video so a receiver can tell which source frame it decoded.

The marker is a row of square cells along the top-left edge: a white and a black guard cell,
16 value bits and a 4-bit checksum, each cell black or white. Cell size is a fixed fraction of
the frame width, so the marker survives scaling and lossy coding and reads back at any size.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

VALUE_BITS = 16
CHECK_BITS = 4
CELLS = 2 + VALUE_BITS + CHECK_BITS
MODULO = 1 << VALUE_BITS


def _cell(width: int) -> float:
    """Cell size in pixels; positions scale with the width, so they survive resizing."""
    return width / (CELLS + 2)


def _checksum(value: int) -> int:
    return (value ^ (value >> 4) ^ (value >> 8) ^ (value >> 12) ^ 0xA) & 0xF


def _bits(value: int) -> list[int]:
    value %= MODULO
    payload = [(value >> i) & 1 for i in range(VALUE_BITS)]
    check = [(_checksum(value) >> i) & 1 for i in range(CHECK_BITS)]
    return [1, 0, *payload, *check]


def draw_marker(frame: NDArray[np.uint8], value: int) -> None:
    """Draw ``value`` (mod 65536) into ``frame`` (H x W x 3, modified in place)."""
    cell = _cell(frame.shape[1])
    for index, bit in enumerate(_bits(value)):
        frame[0 : round(cell), round(index * cell) : round((index + 1) * cell)] = 255 if bit else 0


def read_marker(frame: NDArray[np.uint8]) -> int | None:
    """The value drawn by :func:`draw_marker`, or None when the frame carries no valid marker."""
    cell = _cell(frame.shape[1])
    if frame.shape[0] < cell or cell < 4:
        return None
    inner = cell / 4
    bits = []
    for index in range(CELLS):
        x = index * cell
        patch = frame[
            round(inner) : round(cell - inner), round(x + inner) : round(x + cell - inner)
        ]
        bits.append(1 if float(patch.mean()) > 127.5 else 0)
    if bits[:2] != [1, 0]:
        return None
    value = sum(bit << i for i, bit in enumerate(bits[2 : 2 + VALUE_BITS]))
    check = sum(bit << i for i, bit in enumerate(bits[2 + VALUE_BITS :]))
    return value if check == _checksum(value) else None
