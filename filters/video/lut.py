"""3D colour lookup tables: ``.cube`` reading/writing and a fast apply.

A LUT whose every output channel depends on its own input channel only (per-channel
curves, like the warm and cool looks) is applied as one 3-channel ``cv2.LUT``: exact and
about twice as cheap as the general path.

Any other LUT is interpolated trilinearly for every one of the 2^24 8-bit colours once,
when it is compiled (``AtlasLut``, ~0.2 s), into a 48 MiB table image; grading a frame is
then a gather: each pixel's place in the table is made of its own bytes (``table_position``)
and one nearest-pixel ``cv2.remap`` reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from filters.types import ColourMap, Image

ATLAS_RG_MAX = 64
"""Red and green samples of the atlas: the LUT's own grid (so bilinear atlas lookups are
exactly its trilinear interpolation, and a 33-point cube's atlas is a quarter of a 64-point
one, which keeps the remap's reads in cache), up to this many."""
ATLAS_STRIP_ROWS = 96
"""``AtlasLut`` runs on strips of this many rows, so its maps stay in cache (7-9% cheaper
than whole frames at 720p and 1080p here)."""
F32 = NDArray[np.float32]
Look = Callable[[F32], F32]
"""A colour transform on ``(..., 3)`` RGB floats in 0..1."""


class CubeError(ValueError):
    """A ``.cube`` file that cannot be parsed."""


@dataclass(frozen=True)
class Lut3D:
    """A 3D LUT: ``table[b, g, r]`` is the output RGB (0..1) for input grid point (r, g, b)."""

    table: F32
    title: str = ""

    @property
    def size(self) -> int:
        return int(self.table.shape[0])

    @classmethod
    def from_look(cls, look: Look, size: int = 33, title: str = "") -> Lut3D:
        grid = np.linspace(0.0, 1.0, size, dtype=np.float32)
        b, g, r = np.meshgrid(grid, grid, grid, indexing="ij")
        rgb = np.stack([r, g, b], axis=-1)
        return cls(np.clip(look(rgb), 0.0, 1.0).astype(np.float32), title)

    def sample(self, rgb: F32) -> F32:
        """Trilinear lookup of ``(..., 3)`` RGB floats in 0..1 (the reference transform)."""
        n = self.size - 1
        pos = np.clip(rgb, 0.0, 1.0) * n
        low = np.minimum(np.floor(pos).astype(int), n - 1)
        frac = (pos - low)[..., None, :]
        out = np.zeros(rgb.shape, np.float32)
        for db in (0, 1):
            for dg in (0, 1):
                for dr in (0, 1):
                    weight = (
                        (frac[..., 0, 0] if dr else 1 - frac[..., 0, 0])
                        * (frac[..., 0, 1] if dg else 1 - frac[..., 0, 1])
                        * (frac[..., 0, 2] if db else 1 - frac[..., 0, 2])
                    )
                    corner = self.table[low[..., 2] + db, low[..., 1] + dg, low[..., 0] + dr]
                    out += weight[..., None] * corner
        return out


def read_cube(path: Path) -> Lut3D:
    """Parse an Adobe/Resolve ``.cube`` 3D LUT (``LUT_3D_SIZE``, optional domain)."""
    size = 0
    title = ""
    domain_min, domain_max = np.zeros(3, np.float32), np.ones(3, np.float32)
    rows: list[list[float]] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, _, rest = line.partition(" ")
        try:
            if key == "TITLE":
                title = rest.strip().strip('"')
            elif key == "LUT_3D_SIZE":
                size = int(rest)
            elif key == "DOMAIN_MIN":
                domain_min = np.array(rest.split(), np.float32)
            elif key == "DOMAIN_MAX":
                domain_max = np.array(rest.split(), np.float32)
            elif key == "LUT_1D_SIZE":
                raise CubeError("1D LUTs are not supported; use a 3D .cube")
            elif key[0].isdigit() or key[0] in "-.":
                rows.append([float(v) for v in line.split()[:3]])
        except ValueError as exc:
            raise CubeError(f"{path.name}:{number}: {exc}") from None
    if not 2 <= size <= 256 or len(rows) != size**3:
        raise CubeError(f"{path.name}: expected {size}³ rows for LUT_3D_SIZE {size}")
    table = (np.array(rows, np.float32) - domain_min) / (domain_max - domain_min)
    return Lut3D(np.clip(table, 0, 1).reshape(size, size, size, 3), title)


def write_cube(lut: Lut3D, path: Path) -> None:
    lines = [f'TITLE "{lut.title}"', f"LUT_3D_SIZE {lut.size}", ""]
    lines += [f"{r:.5f} {g:.5f} {b:.5f}" for r, g, b in lut.table.reshape(-1, 3)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


SEPARABLE_TOLERANCE = 0.25 / 255.0
"""How far (0..1) an output channel may vary with the other two inputs and still be
applied as a per-channel curve (well under one output level)."""

TABLE_SIDE = 4096
"""The baked table is a ``TABLE_SIDE`` square BGR image holding the graded colour of every
8-bit input: blue and the high half of green pick the row, red and the low half of green
the column (``table_position``)."""
TABLE_CACHE = 2
"""Compiled LUTs kept by ``load_compiled`` (a general one holds a 48 MiB table)."""
MIXED_TABLES = 2
"""Tables mixed with the identity at a strength below 1 that are kept (48 MiB each)."""
TABLE_STRIP_ROWS = 90
"""Frames are graded in strips of this many rows, so the positions stay in cache."""


def table_position(frame: Image, scratch: PositionScratch | None = None) -> NDArray[np.int16]:
    """Where ``CompiledLut.table`` holds the graded colour of each pixel of ``frame``: the
    ``(..., 2)`` int16 (column, row) map ``cv2.remap`` takes. Column ``red + 256 * (green &
    15)`` and row ``blue + 256 * (green >> 4)`` are, as little-endian bytes, the planes
    red, green's low half, blue, green's high half side by side: one ``cv2.merge``. (The
    halves by numpy's bit operations: a tenth of a ``cv2.LUT``'s cost.) Written into
    ``scratch`` when given (at least as many rows as ``frame``)."""
    rows = frame.shape[0]
    if scratch is None:
        scratch = PositionScratch(frame.shape[0], frame.shape[1])
    blue, green, red = cv2.split(frame, [plane[:rows] for plane in scratch.planes])
    low = np.bitwise_and(green, 15, out=scratch.halves[0][:rows])
    high = np.right_shift(green, 4, out=scratch.halves[1][:rows])
    return cv2.merge([red, low, blue, high], scratch.position[:rows]).view(np.int16)


class PositionScratch:
    """The planes ``table_position`` makes, for ``rows`` rows of ``width`` pixels: a frame's
    strips reuse them rather than allocating their own."""

    def __init__(self, rows: int, width: int) -> None:
        self.planes = [np.empty((rows, width), np.uint8) for _ in range(3)]
        self.halves = [np.empty((rows, width), np.uint8) for _ in range(2)]
        self.position = np.empty((rows, width, 4), np.uint8)


@dataclass(frozen=True, eq=False)
class CompiledLut:
    """A LUT prepared for ``apply``: per-channel curves, or a table of every colour.

    ``curves`` is the ``(256, 3)`` float BGR per-channel curve (0..255) when the LUT is
    separable; otherwise ``table`` holds the graded BGR colour of each of the 2^24 8-bit
    colours (``TABLE_SIDE``), baked once by the trilinear ``AtlasLut``, so grading a frame
    is one nearest-pixel ``cv2.remap`` gather with the same pixels as the atlas
    interpolation, for half its cost.
    """

    table: Image
    curves: F32 | None = None
    _asked: list[float] = field(default_factory=lambda: [1.0], repr=False)
    """The strength ``at`` was last asked for."""

    def apply(self, frame: Image, strength: float = 1.0, *, dst: Image | None = None) -> Image:
        """``frame`` graded, mixed with the original by ``strength`` (0..1); written into
        ``dst`` when given (which may be ``frame`` itself)."""
        return self.at(strength)(frame, dst=dst)

    def at(self, strength: float) -> ColourMap:
        """``apply`` at ``strength`` as a colour map, its tables made once (a look folded
        into a background effect grades a frame a band at a time)."""
        if self.curves is not None:
            return partial(_table_lookup, _mixed_table(self.curves, strength))
        settled, self._asked[0] = strength == self._asked[0], strength
        if strength >= 1.0:
            return partial(_gather, self.table)
        if settled:
            return partial(_gather, _mixed_colours(self, strength))
        # A strength that keeps changing (a slider being dragged) mixes each frame rather
        # than making a mixed table per frame.
        return partial(_gather_and_mix, self.table, strength)


def _gather_and_mix(
    table: Image, strength: float, frame: Image, *, dst: Image | None = None
) -> Image:
    graded = _gather(table, frame)
    return cv2.addWeighted(graded, strength, frame, 1.0 - strength, 0.0, dst=dst)


def _gather(table: Image, frame: Image, *, dst: Image | None = None) -> Image:
    """``frame``'s colours looked up in a ``CompiledLut.table``."""
    out = np.empty_like(frame) if dst is None else dst
    scratch = PositionScratch(min(TABLE_STRIP_ROWS, frame.shape[0]), frame.shape[1])
    for top in range(0, frame.shape[0], TABLE_STRIP_ROWS):
        rows = slice(top, top + TABLE_STRIP_ROWS)
        # The map holds all the strip has to say, so ``dst`` may be ``frame`` itself.
        maps = table_position(frame[rows], scratch)
        cv2.remap(table, maps, None, cv2.INTER_NEAREST, dst=out[rows])  # type: ignore[call-overload]
    return out


@lru_cache(maxsize=MIXED_TABLES)
def _mixed_colours(lut: CompiledLut, strength: float) -> Image:
    """``lut.table`` mixed with each colour itself by ``strength``: a frame looked up in it
    has the pixels of ``cv2.addWeighted(graded, strength, frame, 1 - strength, 0)``, for
    no more than the lookup (making it costs ~30 ms: ``at`` asks for it once a strength
    is asked for twice in a row)."""
    mixed = np.empty_like(lut.table)
    for rows, colours in _colour_bands():
        cv2.addWeighted(lut.table[rows], strength, colours, 1.0 - strength, 0.0, dst=mixed[rows])
    return mixed


def _colour_bands() -> Iterator[tuple[slice, Image]]:
    """Every colour at its place in a ``CompiledLut.table``, 256 rows (one value of green's
    high half) at a time; the band is one array, rewritten for each."""
    column = np.arange(TABLE_SIDE)
    band = np.empty((256, TABLE_SIDE, 3), np.uint8)
    band[..., 0] = np.arange(256, dtype=np.uint8)[:, None]  # blue: the row in the band
    band[..., 2] = (column & 255).astype(np.uint8)  # red
    low_green = (column >> 8).astype(np.uint8)
    for high in range(TABLE_SIDE // 256):
        band[..., 1] = low_green + np.uint8(high << 4)
        yield slice(high * 256, (high + 1) * 256), band


@dataclass(frozen=True)
class AtlasLut:
    """The trilinear interpolation of a LUT by ``cv2.remap`` of an "atlas" image: the
    table on its own red × green grid (at most 64 × 64) for each of the 256 blue levels,
    stacked vertically. Per pixel, x depends on red only and y on green and blue, so
    per-plane ``cv2.LUT`` tables give the remap coordinates directly in OpenCV's
    fixed-point form (integer ``CV_16SC2`` cell plus a 5+5-bit fraction index); red and
    green are interpolated bilinearly and blue is exact. ``compile_lut`` runs every colour
    through it once to bake ``CompiledLut.table``.

    The ``(256,)`` int16 tables are ``cell`` (integer atlas position of a red or green
    level), ``slice_row`` (atlas row of a blue level's slice) and ``frac_x`` / ``frac_y``
    (a red / green level's fraction of a cell, in OpenCV's ``INTER_TAB_SIZE`` steps,
    pre-scaled so their sum is remap's fraction index).
    """

    atlas: Image
    cell: NDArray[np.int16]
    slice_row: NDArray[np.int16]
    frac_x: NDArray[np.int16]
    frac_y: NDArray[np.int16]

    def remap(self, frame: Image, dst: Image | None = None) -> Image:
        out = np.empty_like(frame) if dst is None else dst
        for top in range(0, frame.shape[0], ATLAS_STRIP_ROWS):
            rows = slice(top, top + ATLAS_STRIP_ROWS)
            self._remap_strip(frame[rows], out[rows])
        return out

    def _remap_strip(self, frame: Image, dst: Image) -> None:
        blue, green, red = cv2.split(frame)
        x = cv2.LUT(red, self.cell)
        y = cv2.add(cv2.LUT(green, self.cell), cv2.LUT(blue, self.slice_row))
        fraction = cv2.add(cv2.LUT(green, self.frac_y), cv2.LUT(red, self.frac_x))
        maps = cv2.merge([x, y])
        cv2.remap(self.atlas, maps, fraction.view(np.uint16), cv2.INTER_LINEAR, dst=dst)


def _table_lookup(table: NDArray[np.uint8], frame: Image, *, dst: Image | None = None) -> Image:
    return cv2.LUT(frame, table, dst=dst)


_LEVELS = np.arange(256, dtype=np.float32)[:, None]


def _mixed_table(curves: F32, strength: float) -> NDArray[np.uint8]:
    """The ``(256, 1, 3)`` table of ``curves`` mixed with the identity by ``strength``
    (mixing a per-channel curve with the identity is itself a per-channel curve)."""
    mixed = curves * strength + _LEVELS * (1.0 - strength)
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)[:, None, :]


TAB_BITS = 5
"""OpenCV's ``INTER_BITS``: remap fractions are in 1/32 steps (``INTER_TAB_SIZE``)."""


def compile_lut(lut: Lut3D) -> CompiledLut:
    steps = np.arange(256, dtype=np.float32) / 255.0
    curves = _separable_curves(lut, steps)
    if curves is not None:
        return CompiledLut(np.zeros((1, 1, 3), np.uint8), curves)
    return CompiledLut(_bake(atlas_lut(lut)))


def atlas_lut(lut: Lut3D) -> AtlasLut:
    """``lut``'s trilinear interpolation as an atlas remap (``compile_lut`` bakes its table
    with it; the benchmark and the tests compare the table with it)."""
    steps = np.arange(256, dtype=np.float32) / 255.0
    nodes = min(lut.size, ATLAS_RG_MAX)
    fixed = np.round(steps * (nodes - 1) * (1 << TAB_BITS)).astype(np.int32)
    cell = (fixed >> TAB_BITS).astype(np.int16)
    frac = (fixed & ((1 << TAB_BITS) - 1)).astype(np.int16)
    rg = np.linspace(0.0, 1.0, nodes, dtype=np.float32)
    r, g, b = np.meshgrid(rg, rg, steps, indexing="ij")
    rgb = lut.sample(np.stack([r, g, b], axis=-1))  # (r, g, b, 3)
    atlas = rgb.transpose(2, 1, 0, 3).reshape(256 * nodes, nodes, 3)  # rows: b, g
    atlas_bgr = np.clip(atlas[..., ::-1] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    slice_row = (np.arange(256) * nodes).astype(np.int16)  # blue picks the slice
    return AtlasLut(
        np.ascontiguousarray(atlas_bgr), cell, slice_row, frac, (frac << TAB_BITS).astype(np.int16)
    )


def _bake(atlas: AtlasLut) -> Image:
    """``CompiledLut.table``: every colour graded by ``atlas``."""
    table = np.empty((TABLE_SIDE, TABLE_SIDE, 3), np.uint8)
    for rows, colours in _colour_bands():
        atlas.remap(colours, dst=table[rows])
    return table


def _separable_curves(lut: Lut3D, steps: F32) -> F32 | None:
    """The ``(256, 3)`` BGR curves (0..255) of a LUT whose output red depends on input red
    only (and so on), or ``None`` when the channels mix."""
    table = lut.table  # [b, g, r] -> (R, G, B)
    red, green, blue = table[0, 0, :, 0], table[0, :, 0, 1], table[:, 0, 0, 2]
    if (
        np.abs(table[..., 0] - red[None, None, :]).max() > SEPARABLE_TOLERANCE
        or np.abs(table[..., 1] - green[None, :, None]).max() > SEPARABLE_TOLERANCE
        or np.abs(table[..., 2] - blue[:, None, None]).max() > SEPARABLE_TOLERANCE
    ):
        return None
    grid = np.linspace(0.0, 1.0, lut.size, dtype=np.float32)
    bgr = np.stack([np.interp(steps, grid, curve) for curve in (blue, green, red)], axis=-1)
    return (bgr * 255.0).astype(np.float32)


@lru_cache(maxsize=TABLE_CACHE)
def load_compiled(path: Path) -> CompiledLut:
    return compile_lut(read_cube(path))
