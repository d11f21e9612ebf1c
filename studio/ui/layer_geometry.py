"""Moving and resizing a layer's box on the canvas: handles, snapping, nudging (no Qt).

Everything is in canvas pixels. The preview maps the mouse into canvas pixels, asks
:func:`hit` what the press grabbed and :func:`dragged` where the box goes while the mouse
moves; arrow keys go through :func:`nudged`. Edges snap to the canvas's edges and centre
lines when they come within ``reach`` of one; the lines that caught the box are returned so
the preview can draw them.

A box turned by its layer's rotation (clockwise about its centre, as the compositor draws
it) is grabbed where it shows: presses, handles and resizing work in the box's own turned
axes (a handle pulls its edge along the box's side, the opposite edge stays put), and a
moved box snaps by the upright rectangle around it. A turned box's edges do not snap while
resized (they do not run along the canvas's lines).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from typing import Final

MIN_SIZE: Final = 16.0  # a box never shrinks below this (it could no longer be grabbed)
NUDGE: Final = 1.0
BIG_NUDGE: Final = 10.0  # with Shift


@dataclass(frozen=True)
class Box:
    """A layer's box on the canvas: top-left corner and size before turning, and the
    degrees it is turned clockwise about its centre."""

    x: float
    y: float
    w: float
    h: float
    rotation: float = 0.0

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    @property
    def turned(self) -> bool:
        return self.rotation % 360.0 != 0.0

    def contains(self, px: float, py: float) -> bool:
        lx, ly = self.to_box(px, py)
        return self.x <= lx <= self.right and self.y <= ly <= self.bottom

    def to_box(self, px: float, py: float) -> tuple[float, float]:
        """A canvas point in the box's own (unturned) frame."""
        return _turned_about(self.centre, px, py, -self.rotation)

    def to_canvas(self, lx: float, ly: float) -> tuple[float, float]:
        """A point of the unturned box where it shows on the canvas."""
        return _turned_about(self.centre, lx, ly, self.rotation)

    def corners(self) -> list[tuple[float, float]]:
        """Where the corners show, clockwise from the top-left one."""
        upright = [(self.x, self.y), (self.right, self.y), (self.right, self.bottom)]
        return [self.to_canvas(x, y) for x, y in [*upright, (self.x, self.bottom)]]

    def bounds(self) -> Box:
        """The upright rectangle around the box as it shows."""
        xs, ys = zip(*self.corners(), strict=True)
        return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


class Handle(enum.Enum):
    """What a press grabbed: the box itself (to move it) or one of its eight handles.
    The value says which edges a handle moves: (left, top, right, bottom)."""

    MOVE = (False, False, False, False)
    TOP_LEFT = (True, True, False, False)
    TOP = (False, True, False, False)
    TOP_RIGHT = (False, True, True, False)
    RIGHT = (False, False, True, False)
    BOTTOM_RIGHT = (False, False, True, True)
    BOTTOM = (False, False, False, True)
    BOTTOM_LEFT = (True, False, False, True)
    LEFT = (True, False, False, False)

    @property
    def corner(self) -> bool:
        left, top, right, bottom = self.value
        return (left or right) and (top or bottom)

    def direction(self, rotation: float = 0.0) -> float:
        """Degrees (clockwise from pointing right) from a box's centre out through this
        handle, on a box turned by ``rotation``: what a resize cursor should show."""
        left, top, right, bottom = self.value
        return math.degrees(math.atan2(int(bottom) - int(top), int(right) - int(left))) + rotation


HANDLES: Final = tuple(h for h in Handle if h is not Handle.MOVE)


@dataclass(frozen=True)
class Guide:
    """A canvas line a box snapped to: ``axis`` "x" is a vertical line at ``at``."""

    axis: str
    at: float


@dataclass(frozen=True)
class Drag:
    """Where a drag put the box, and the lines that caught it."""

    box: Box
    guides: tuple[Guide, ...] = ()


def handle_point(box: Box, handle: Handle) -> tuple[float, float]:
    """Where ``handle`` shows on ``box`` (corners and edge midpoints, turned with it)."""
    return box.to_canvas(*_unturned_handle_point(box, handle))


def hit(box: Box, px: float, py: float, reach: float) -> Handle | None:
    """What a press at (px, py) grabs: a handle within ``reach``, else the box when inside."""
    lx, ly = box.to_box(px, py)
    for handle in HANDLES:
        hx, hy = _unturned_handle_point(box, handle)
        if abs(lx - hx) <= reach and abs(ly - hy) <= reach:
            return handle
    return Handle.MOVE if box.contains(px, py) else None


def dragged(
    start: Box,
    handle: Handle,
    dx: float,
    dy: float,
    canvas: tuple[int, int],
    reach: float,
    keep_aspect: bool = True,
) -> Drag:
    """``start`` after the mouse moved (dx, dy) holding ``handle``, snapped to the canvas.

    Moving keeps the size; an edge handle moves one edge; a corner keeps the box's aspect
    ratio when ``keep_aspect`` (the opposite corner stays put). ``reach`` 0 snaps nothing.
    """
    if handle is Handle.MOVE:
        return _moved(start, dx, dy, canvas, reach)
    keep_aspect = keep_aspect and handle.corner
    if not start.turned:
        return _resized(start, handle, dx, dy, canvas, reach, keep_aspect)
    # Resized in the box's own axes (unsnapped), then put back where its kept edges were.
    upright = replace(start, rotation=0.0)
    ldx, ldy = _turned_about((0.0, 0.0), dx, dy, -start.rotation)
    local = _resized(upright, handle, ldx, ldy, canvas, 0.0, keep_aspect).box
    cx, cy = start.to_canvas(*local.centre)
    return Drag(Box(cx - local.w / 2, cy - local.h / 2, local.w, local.h, start.rotation))


def nudged(box: Box, dx: int, dy: int, big: bool) -> Box:
    """``box`` moved by arrow keys: (dx, dy) are -1, 0 or 1; ``big`` (Shift) moves further."""
    step = BIG_NUDGE if big else NUDGE
    return replace(box, x=box.x + dx * step, y=box.y + dy * step)


def _unturned_handle_point(box: Box, handle: Handle) -> tuple[float, float]:
    left, top, right, bottom = handle.value
    x = box.x if left else box.right if right else box.x + box.w / 2
    y = box.y if top else box.bottom if bottom else box.y + box.h / 2
    return x, y


def _turned_about(
    centre: tuple[float, float], px: float, py: float, degrees: float
) -> tuple[float, float]:
    """(px, py) turned ``degrees`` clockwise (y points down) about ``centre``."""
    if degrees % 360.0 == 0.0:
        return px, py
    turn = math.radians(degrees)
    cos, sin = math.cos(turn), math.sin(turn)
    ox, oy = px - centre[0], py - centre[1]
    return centre[0] + ox * cos - oy * sin, centre[1] + ox * sin + oy * cos


def _moved(start: Box, dx: float, dy: float, canvas: tuple[int, int], reach: float) -> Drag:
    x, y = start.x + dx, start.y + dy
    shown = start.bounds() if start.turned else start  # what meets the canvas's lines
    shift_x, guide_x = _snap_span(shown.x + dx, shown.w, canvas[0], reach)
    shift_y, guide_y = _snap_span(shown.y + dy, shown.h, canvas[1], reach)
    guides = tuple(
        guide
        for guide in (
            Guide("x", guide_x) if guide_x is not None else None,
            Guide("y", guide_y) if guide_y is not None else None,
        )
        if guide is not None
    )
    return Drag(replace(start, x=x + shift_x, y=y + shift_y), guides)


def _snap_span(start: float, size: float, length: int, reach: float) -> tuple[float, float | None]:
    """How far to shift a span (start, size) so its start, middle or end meets a canvas line
    (0, the centre, the end) within ``reach``; and the line it met."""
    best: tuple[float, float | None] = (0.0, None)
    for point in (start, start + size / 2, start + size):
        for line in _lines(length):
            gap = line - point
            if abs(gap) <= reach and (best[1] is None or abs(gap) < abs(best[0])):
                best = (gap, line)
    return best


def _snap_edge(at: float, length: int, reach: float) -> tuple[float, float | None]:
    """``at`` moved onto the nearest canvas line within ``reach`` (and that line)."""
    line = min(_lines(length), key=lambda candidate: abs(candidate - at))
    return (line, line) if abs(line - at) <= reach else (at, None)


def _lines(length: int) -> tuple[float, float, float]:
    return 0.0, length / 2, float(length)


def _resized(
    start: Box,
    handle: Handle,
    dx: float,
    dy: float,
    canvas: tuple[int, int],
    reach: float,
    keep_aspect: bool,
) -> Drag:
    left_moves, top_moves, right_moves, bottom_moves = handle.value
    left, top, right, bottom = start.x, start.y, start.right, start.bottom
    guides: list[Guide] = []

    def edge(at: float, length: int, axis: str) -> float:
        snapped, line = _snap_edge(at, length, reach)
        if line is not None:
            guides.append(Guide(axis, line))
        return snapped

    if left_moves:
        left = min(edge(left + dx, canvas[0], "x"), right - MIN_SIZE)
    if right_moves:
        right = max(edge(right + dx, canvas[0], "x"), left + MIN_SIZE)
    if top_moves:
        top = min(edge(top + dy, canvas[1], "y"), bottom - MIN_SIZE)
    if bottom_moves:
        bottom = max(edge(bottom + dy, canvas[1], "y"), top + MIN_SIZE)
    box = Box(left, top, right - left, bottom - top)
    if keep_aspect:
        return _with_aspect(box, start, handle, tuple(guides))
    return Drag(box, tuple(guides))


def _with_aspect(box: Box, start: Box, handle: Handle, guides: tuple[Guide, ...]) -> Drag:
    """``box`` scaled evenly from ``start`` (its aspect ratio kept), the corner opposite
    ``handle`` staying put. The axis that snapped to a line leads (so the snap holds), else
    the one the mouse changed more."""
    by_width, by_height = box.w / start.w, box.h / start.h
    snapped = {guide.axis for guide in guides}
    if snapped == {"x"} or (snapped != {"y"} and abs(by_width - 1) >= abs(by_height - 1)):
        scale, kept = by_width, tuple(g for g in guides if g.axis == "x")
    else:
        scale, kept = by_height, tuple(g for g in guides if g.axis == "y")
    scale = max(scale, MIN_SIZE / min(start.w, start.h))
    width, height = start.w * scale, start.h * scale
    left_moves, top_moves, _, _ = handle.value
    x = start.right - width if left_moves else start.x
    y = start.bottom - height if top_moves else start.y
    return Drag(Box(x, y, width, height), kept)
