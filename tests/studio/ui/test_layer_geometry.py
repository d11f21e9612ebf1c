"""Handles, snapping and nudging of a layer's box on the canvas (pure geometry, exact)."""

from __future__ import annotations

import pytest

from studio.ui.layer_geometry import (
    BIG_NUDGE,
    MIN_SIZE,
    Box,
    Guide,
    Handle,
    dragged,
    handle_point,
    hit,
    nudged,
)

CANVAS = (1280, 720)
CAMERA = Box(100, 100, 320, 180)


def test_a_press_grabs_the_nearest_handle_then_the_box_then_nothing() -> None:
    assert hit(CAMERA, 103, 98, reach=6) is Handle.TOP_LEFT
    assert hit(CAMERA, 420, 280, reach=6) is Handle.BOTTOM_RIGHT
    assert hit(CAMERA, 260, 100, reach=6) is Handle.TOP
    assert hit(CAMERA, 420, 190, reach=6) is Handle.RIGHT
    assert hit(CAMERA, 200, 200, reach=6) is Handle.MOVE
    assert hit(CAMERA, 50, 50, reach=6) is None
    assert handle_point(CAMERA, Handle.BOTTOM_LEFT) == (100, 280)


def test_moving_keeps_the_size_and_snaps_edges_and_centre_to_the_canvas() -> None:
    free = dragged(CAMERA, Handle.MOVE, 50, 30, CANVAS, reach=8)
    assert free == type(free)(Box(150, 130, 320, 180))

    # the right and bottom edges come within reach of the canvas's: they stick to them
    corner = dragged(CAMERA, Handle.MOVE, 855, 436, CANVAS, reach=8)
    assert corner.box == Box(960, 540, 320, 180)
    assert set(corner.guides) == {Guide("x", 1280), Guide("y", 720)}

    # the box's centre meets the canvas's centre line
    centred = dragged(CAMERA, Handle.MOVE, 383, 0, CANVAS, reach=8)
    assert centred.box.x + centred.box.w / 2 == 640
    assert centred.guides == (Guide("x", 640),)

    # out of reach: no snap
    assert dragged(CAMERA, Handle.MOVE, -91, 0, CANVAS, reach=8).box.x == 9
    assert dragged(CAMERA, Handle.MOVE, -91, 0, CANVAS, reach=0).guides == ()


def test_an_edge_handle_moves_one_edge_and_snaps_it() -> None:
    wider = dragged(CAMERA, Handle.RIGHT, 40, 999, CANVAS, reach=8)
    assert wider.box == Box(100, 100, 360, 180)
    to_edge = dragged(CAMERA, Handle.LEFT, -95, 0, CANVAS, reach=8)
    assert to_edge.box == Box(0, 100, 420, 180) and to_edge.guides == (Guide("x", 0),)
    # dragged past the opposite edge, it stops at the smallest size
    flat = dragged(CAMERA, Handle.TOP, 0, 500, CANVAS, reach=8)
    assert flat.box == Box(100, 280 - MIN_SIZE, 320, MIN_SIZE)


def test_a_corner_keeps_the_aspect_ratio_and_the_opposite_corner() -> None:
    bigger = dragged(CAMERA, Handle.BOTTOM_RIGHT, 160, 10, CANVAS, reach=0)
    assert bigger.box == Box(100, 100, 480, 270)
    # the mouse stretched the height more: the height leads
    taller = dragged(CAMERA, Handle.BOTTOM_RIGHT, 0, 90, CANVAS, reach=0)
    assert taller.box == Box(100, 100, 480, 270)
    # from the top-left corner, the bottom-right one stays
    smaller = dragged(CAMERA, Handle.TOP_LEFT, 160, 0, CANVAS, reach=0)
    assert smaller.box == Box(260, 190, 160, 90)
    # free when asked
    free = dragged(CAMERA, Handle.BOTTOM_RIGHT, 160, 10, CANVAS, reach=0, keep_aspect=False)
    assert free.box == Box(100, 100, 480, 190)


def test_a_snapped_corner_keeps_its_snap_and_the_aspect_ratio() -> None:
    drag = dragged(CAMERA, Handle.BOTTOM_RIGHT, 854, 200, CANVAS, reach=8)
    assert drag.box.right == 1280 and drag.guides == (Guide("x", 1280),)
    assert drag.box.w / drag.box.h == pytest.approx(320 / 180)


@pytest.mark.parametrize(
    ("dx", "dy", "big", "where"),
    [(1, 0, False, (101, 100)), (0, -1, False, (100, 99)), (-1, 1, True, (90, 110))],
)
def test_arrow_keys_nudge_by_one_pixel_or_ten_with_shift(
    dx: int, dy: int, big: bool, where: tuple[int, int]
) -> None:
    box = nudged(CAMERA, dx, dy, big)
    assert (box.x, box.y) == where and (box.w, box.h) == (CAMERA.w, CAMERA.h)
    assert BIG_NUDGE == 10


# A 200x50 box turned a quarter: it shows 50 wide and 200 tall about its centre (200, 125).
STANDING = Box(100, 100, 200, 50, rotation=90.0)


def test_a_turned_box_is_grabbed_where_it_shows_with_its_handles_turned_along() -> None:
    assert hit(STANDING, 200, 40, reach=6) is Handle.MOVE  # above the unturned box
    assert hit(STANDING, 290, 110, reach=6) is None  # inside the unturned box, not shown there
    assert handle_point(STANDING, Handle.RIGHT) == pytest.approx((200, 225))  # at the bottom
    assert hit(STANDING, 202, 223, reach=6) is Handle.RIGHT
    assert hit(STANDING, 225, 26, reach=6) is Handle.TOP_LEFT  # now the top right corner
    assert STANDING.bounds() == pytest.approx(Box(175, 25, 50, 200))


def test_a_turned_box_resizes_along_its_own_sides_the_opposite_edge_staying_put() -> None:
    # Its right handle shows at the bottom: pulling it down 40 makes the box 40 longer.
    longer = dragged(STANDING, Handle.RIGHT, 3, 40, CANVAS, reach=8).box
    assert (longer.w, longer.h, longer.rotation) == pytest.approx((240, 50, 90))
    assert handle_point(longer, Handle.LEFT) == pytest.approx(handle_point(STANDING, Handle.LEFT))

    leaning = Box(400, 300, 320, 180, rotation=30.0)
    smaller = dragged(leaning, Handle.TOP_LEFT, 60, 50, CANVAS, reach=8).box
    assert smaller.w < leaning.w and smaller.w / smaller.h == pytest.approx(320 / 180)
    kept = handle_point(leaning, Handle.BOTTOM_RIGHT)
    assert handle_point(smaller, Handle.BOTTOM_RIGHT) == pytest.approx(kept)


def test_a_turned_box_moved_near_an_edge_snaps_by_what_shows() -> None:
    moved = dragged(STANDING, Handle.MOVE, 0, -20, CANVAS, reach=8)
    assert moved.box.bounds().y == pytest.approx(0) and moved.guides == (Guide("y", 0),)
    assert (moved.box.w, moved.box.h, moved.box.rotation) == (200, 50, 90)
