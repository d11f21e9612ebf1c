"""The co-host stage geometry every client draws: tiles inside the stage, none overlapping (but
PiP overlays), 16:9 wherever the layout leaves room, the main host first and largest."""

from __future__ import annotations

from itertools import combinations

import pytest

from wire.stage_layout import GAP_PX, Tile, layout_tiles, wire_tiles

STAGE_W, STAGE_H = 1600.0, 900.0
MODES = [("grid", "2x2"), ("grid", "3x3"), ("spotlight", None), ("sidebar", None)]


def hosts(count: int) -> list[str]:
    return [f"h{i}" for i in range(count)]


def aspect(tile: Tile) -> float:
    return (tile.width * STAGE_W) / (tile.height * STAGE_H)


def overlap(a: Tile, b: Tile) -> bool:
    eps = 1e-9
    return (
        a.x + a.width > b.x + eps
        and b.x + b.width > a.x + eps
        and a.y + a.height > b.y + eps
        and b.y + b.height > a.y + eps
    )


@pytest.mark.parametrize(("mode", "grid"), MODES)
@pytest.mark.parametrize("count", range(1, 10))
def test_tiles_fill_the_stage_without_overlapping(mode: str, grid: str | None, count: int) -> None:
    order = hosts(count)
    tiles = layout_tiles(mode, grid, order, {})
    assert [t.user_id for t in tiles] == order
    for tile in tiles:
        assert tile.x >= 0 and tile.x + tile.width <= 1 + 1e-9
        assert tile.y >= 0 and tile.y + tile.height <= 1 + 1e-9
    assert not any(overlap(a, b) for a, b in combinations(tiles, 2))
    if mode != "grid":
        assert all(tiles[0].width * tiles[0].height > t.width * t.height for t in tiles[1:])


@pytest.mark.parametrize(("mode", "grid"), MODES)
@pytest.mark.parametrize("count", range(1, 6))
def test_tiles_are_whole_16_9_pictures_while_the_strip_has_room(
    mode: str, grid: str | None, count: int
) -> None:
    """Up to four others beside the main host (and any grid): every tile is 16:9, so a 16:9
    camera fills it — no strip that cuts a face in half."""
    tiles = layout_tiles(mode, grid, hosts(count), {})
    assert all(aspect(t) == pytest.approx(16 / 9) for t in tiles)


def test_grid_centres_a_short_last_row_and_one_host_fills_the_stage() -> None:
    three = layout_tiles("grid", "2x2", hosts(3), {})
    assert three[2] == Tile("h2", 0.25, 0.5, 0.5, 0.5)
    assert layout_tiles("grid", "3x3", hosts(1), {}) == [Tile("h0", 0, 0, 1, 1)]
    four = layout_tiles("grid", "3x3", hosts(4), {})
    assert [round(t.y, 4) for t in four] == [0.1667, 0.1667, 0.1667, 0.5]
    assert four[3].x == pytest.approx(1 / 3)


def test_pip_puts_overlays_over_the_whole_main_picture() -> None:
    box = Tile("h1", 0.76, 0.02, 0.22, 0.22)
    assert layout_tiles("pip", None, hosts(3), {"h1": box}) == [Tile("h0", 0, 0, 1, 1), box]


def test_wire_tiles_read_the_stored_layout() -> None:
    layout = {
        "mode": "pip",
        "grid": None,
        "order": ["a", "b"],
        "overlays": [{"userId": "b", "x": 0.5, "y": 0.1, "width": 0.25, "height": 0.25}],
    }
    assert wire_tiles(layout) == [
        {"userId": "a", "x": 0, "y": 0, "width": 1, "height": 1},
        {"userId": "b", "x": 0.5, "y": 0.1, "width": 0.25, "height": 0.25},
    ]


def test_pixels_inset_every_tile_by_half_the_gap() -> None:
    left, top, width, height = Tile("a", 0.5, 0.25, 0.5, 0.5).pixels(STAGE_W, STAGE_H)
    assert (left, top) == (800 + GAP_PX / 2, 225 + GAP_PX / 2)
    assert (width, height) == (800 - GAP_PX, 450 - GAP_PX)
