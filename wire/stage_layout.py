"""Where each host's video goes on a co-host stage: the one geometry every client draws.

The backend sends these tiles with every layout (``layout.tiles`` in session snapshots and
``multihost:layout-changed``), the viewer page places its tiles from them, and the studio's
stage computes them with the same function, so what the studio shows is what viewers see.

The stage is 16:9. Tiles are fractions of it (0–1) and are themselves 16:9 wherever the layout
allows: grid cells are 1/columns of both sides, and in spotlight and sidebar the main host is a
16:9 picture three quarters of the stage high with the others in a strip of up to four 16:9
tiles (more hosts share the strip). Pure Python: the studio imports it too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GRID_COLUMNS = {"2x2": 2, "3x3": 3}
MAIN_SHARE = 0.75  # the main host's share of the stage's height (spotlight) or width (sidebar)
STRIP_SLOTS = round(1 / (1 - MAIN_SHARE))  # 16:9 tiles that fit the strip beside the main host
GAP_PX = 4.0  # between tiles; each tile is inset by half of it on every side


@dataclass(frozen=True)
class Tile:
    """Where one host's video goes, in fractions of the stage (0–1)."""

    user_id: str
    x: float
    y: float
    width: float
    height: float

    def to_wire(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "x": round(self.x, 6),
            "y": round(self.y, 6),
            "width": round(self.width, 6),
            "height": round(self.height, 6),
        }

    def pixels(self, width: float, height: float) -> tuple[float, float, float, float]:
        """(left, top, width, height) on a ``width`` × ``height`` stage, less the gap."""
        half = GAP_PX / 2
        return (
            self.x * width + half,
            self.y * height + half,
            self.width * width - GAP_PX,
            self.height * height - GAP_PX,
        )


def layout_tiles(
    mode: str, grid: str | None, order: Sequence[str], overlays: Mapping[str, Tile]
) -> list[Tile]:
    """Every host's tile, main host (``order[0]``) first; ``overlays``: PiP boxes by host."""
    if not order:
        return []
    if mode == "grid":
        fits = 2 if len(order) <= 4 else 3  # the server moves a fifth host to the 3x3 grid
        return _grid(order, max(GRID_COLUMNS.get(grid or "", fits), fits))
    main, others = order[0], order[1:]
    if mode == "pip":
        return [Tile(main, 0.0, 0.0, 1.0, 1.0)] + [
            Tile(u, o.x, o.y, o.width, o.height) for u in others if (o := overlays.get(u))
        ]
    if not others:
        return [Tile(main, 0.0, 0.0, 1.0, 1.0)]
    return _main_and_strip(main, others, beside=mode == "sidebar")


def wire_tiles(layout: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tiles of a layout as the backend stores it (``mode``, ``grid``, ``order``, …)."""
    overlays = {
        str(o["userId"]): Tile(str(o["userId"]), o["x"], o["y"], o["width"], o["height"])
        for o in layout.get("overlays") or ()
    }
    tiles = layout_tiles(layout["mode"], layout.get("grid"), layout.get("order") or (), overlays)
    return [tile.to_wire() for tile in tiles]


def _grid(order: Sequence[str], columns: int) -> list[Tile]:
    """Rows of ``columns`` 16:9 cells; the used rows, and a short last row, are centred."""
    per_row = min(columns, len(order))  # one host fills the stage, two share its width
    size = 1 / per_row
    rows = math.ceil(len(order) / per_row)
    top = (1 - rows * size) / 2
    tiles = []
    for i, user in enumerate(order):
        row, column = divmod(i, per_row)
        in_row = min(per_row, len(order) - row * per_row)
        left = (1 - in_row * size) / 2
        tiles.append(Tile(user, left + column * size, top + row * size, size, size))
    return tiles


def _main_and_strip(main: str, others: Sequence[str], beside: bool) -> list[Tile]:
    """The main host as a 16:9 picture, the others in a centred strip under it or beside it."""
    rest = 1 - MAIN_SHARE
    step = 1 / max(len(others), STRIP_SLOTS)
    start = (1 - step * len(others)) / 2
    if beside:  # sidebar
        first = Tile(main, 0.0, rest / 2, MAIN_SHARE, MAIN_SHARE)
        strip = [Tile(u, MAIN_SHARE, start + i * step, rest, step) for i, u in enumerate(others)]
    else:  # spotlight
        first = Tile(main, rest / 2, 0.0, MAIN_SHARE, MAIN_SHARE)
        strip = [Tile(u, start + i * step, MAIN_SHARE, step, rest) for i, u in enumerate(others)]
    return [first, *strip]
