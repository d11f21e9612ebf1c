"""The shared layout's rules, pure: what a request may ask for, and fitting it to the hosts.

A layout is stored as JSON on the session (``mode``, ``grid``, ``mainHostId``, ``order``,
``overlays``, ``version``, ``changedBy``, ``changedAt``); it is re-fitted whenever the hosts
change so that every host has exactly one tile.
"""

from __future__ import annotations

import json
from typing import TypedDict, get_args

from backend.errors import InvalidInput
from wire.multihost import LayoutMode

LAYOUT_MODES: tuple[str, ...] = get_args(LayoutMode)
GRID_SIZES = {"2x2": 4, "3x3": 9}
PIP_SIZE, PIP_MARGIN, PIP_ROWS = 0.22, 0.02, 4


class Overlay(TypedDict):
    """A picture-in-picture tile: where a host sits, in fractions of the stage."""

    userId: str
    x: float
    y: float
    width: float
    height: float


class StoredLayout(TypedDict):
    """A session's layout as stored on its row (JSON, camelCase like the columns)."""

    mode: str
    grid: str | None
    version: int
    changedBy: str
    changedAt: str
    mainHostId: str | None
    order: list[str]
    overlays: list[Overlay]


class LayoutChange(TypedDict, total=False):
    """What a manager asks for; the fields left out keep their current value."""

    mode: str
    grid: str
    mainHostId: str
    order: list[str]
    overlays: list[Overlay]


def default_overlay(user_id: str, slot: int) -> Overlay:
    """PiP tiles stack down the right edge in columns of four."""
    column, row = divmod(slot, PIP_ROWS)
    return {
        "userId": user_id,
        "x": round(1 - PIP_MARGIN - PIP_SIZE - column * (PIP_SIZE + PIP_MARGIN), 4),
        "y": round(PIP_MARGIN + row * (PIP_SIZE + PIP_MARGIN / 2), 4),
        "width": PIP_SIZE,
        "height": PIP_SIZE,
    }


def normalize_layout(layout: StoredLayout, hosts: list[str], primary: str) -> StoredLayout:
    """Fit a layout to the current hosts: every host tiled once, a main host where needed."""
    order = [h for h in layout["order"] if h in hosts]
    order += [h for h in hosts if h not in order]
    mode = layout["mode"]
    main: str | None = None
    grid: str | None = None
    overlays: list[Overlay] = []
    if mode == "grid":
        grid = layout["grid"] or ("2x2" if len(order) <= GRID_SIZES["2x2"] else "3x3")
        if len(order) > GRID_SIZES[grid]:
            grid = "3x3"
    elif order:
        wanted = layout["mainHostId"]
        main = wanted if wanted in order else (primary if primary in order else order[0])
        order = [main, *(h for h in order if h != main)]
    if mode == "pip":
        given = {o["userId"]: o for o in layout["overlays"]}
        overlays = [given.get(h) or default_overlay(h, i) for i, h in enumerate(order[1:])]
    return {**layout, "grid": grid, "mainHostId": main, "order": order, "overlays": overlays}


def check_mode(mode: str, grid: str | None) -> None:
    if mode not in LAYOUT_MODES:
        raise InvalidInput(
            f"layout must be one of {', '.join(LAYOUT_MODES)}.", code="invalid_layout"
        )
    if grid is not None and (mode != "grid" or grid not in GRID_SIZES):
        raise InvalidInput(
            "grid is '2x2' or '3x3', and only for the grid layout.", code="invalid_grid"
        )


def validated_layout(
    current: StoredLayout, request: LayoutChange, hosts: list[str]
) -> StoredLayout:
    """The requested layout (omitted fields keep their current value), checked against hosts."""
    mode = request.get("mode") or current["mode"]
    grid = request.get("grid", current["grid"] if mode == current["mode"] else None)
    check_mode(mode, grid)
    if grid is not None and len(hosts) > GRID_SIZES[grid]:
        raise InvalidInput(
            f"A {grid} grid holds {GRID_SIZES[grid]} hosts; this session has {len(hosts)}.",
            code="grid_too_small",
        )
    main = request.get("mainHostId")
    if main is not None and (mode == "grid" or main not in hosts):
        raise InvalidInput(
            "mainHostId must be one of the hosts, and the grid layout has none.",
            code="invalid_main_host",
        )
    order = request.get("order")
    if order is not None and sorted(order) != sorted(hosts):
        raise InvalidInput("order must list every host exactly once.", code="invalid_order")
    overlays = request.get("overlays")
    if overlays is not None:
        _check_overlays(overlays, mode, hosts)
    return {
        **current,
        "mode": mode,
        "grid": grid,
        "mainHostId": main or current["mainHostId"],
        "order": order or current["order"],
        "overlays": overlays if overlays is not None else current["overlays"],
    }


def _check_overlays(overlays: list[Overlay], mode: str, hosts: list[str]) -> None:
    users = [o["userId"] for o in overlays]
    if mode != "pip" or len(set(users)) != len(users) or not set(users) <= set(hosts):
        raise InvalidInput(
            "overlays are for the pip layout: one per host at most, hosts only.",
            code="invalid_overlays",
        )
    if any(o["x"] + o["width"] > 1 or o["y"] + o["height"] > 1 for o in overlays):
        raise InvalidInput(
            "Each overlay must fit on screen: x + width and y + height at most 1.",
            code="invalid_overlays",
        )


def same_shape(a: StoredLayout, b: StoredLayout) -> bool:
    """Whether two layouts place the same hosts the same way (version and stamps aside)."""
    return _shape(a) == _shape(b)


def _shape(layout: StoredLayout) -> tuple[str, str | None, str | None, tuple[str, ...], str]:
    return (
        layout["mode"],
        layout["grid"],
        layout["mainHostId"],
        tuple(layout["order"]),
        json.dumps(layout["overlays"], sort_keys=True),
    )
