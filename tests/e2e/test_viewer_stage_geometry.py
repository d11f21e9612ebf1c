"""What the studio shows is what viewers see: for every co-host layout and host count, the
viewer page's tiles (measured in Debian's Chromium) sit where the studio's stage draws them.

It lives with the browser tests, not the Qt ones: it is a pytest-asyncio test, and those cannot
run once the Qt tests' qasync loop is running.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest

from studio.core.state import layout_tiles
from studio.ui.app import qt_application
from studio.ui.stage import CohostStage
from tests.backend.api_helpers import ApiUser, register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import open_viewer
from tests.servers import LiveServer
from wire.multihost import CohostLayout

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.timeout(240)
LAYOUTS = [("grid", "2x2"), ("grid", "3x3"), ("spotlight", None), ("sidebar", None), ("pip", None)]
COUNTS = (1, 2, 3, 4, 5, 9)
TOLERANCE_PX = 1.5

TILE_BOXES = """() => {
  const stage = document.getElementById('stage').getBoundingClientRect();
  const tiles = {};
  for (const tile of document.querySelectorAll('.tile')) {
    const box = tile.getBoundingClientRect();
    tiles[tile.dataset.stream] = [box.x - stage.x, box.y - stage.y, box.width, box.height];
  }
  const videos = [...document.querySelectorAll('.tile video')];
  const fits = videos.map((video) => getComputedStyle(video).objectFit);
  return {width: stage.width, height: stage.height, tiles, fits};
}"""
SHOWN = """([mode, variant, count]) => {
  const stage = document.getElementById('stage');
  return stage.dataset.mode === mode && stage.dataset.variant === variant
    && document.querySelectorAll('.tile.is-placed').length === count;
}"""


def studio_boxes(snapshot: dict[str, Any], size: tuple[int, int]) -> dict[str, list[float]]:
    """The studio's stage at the viewer's stage size, laid out from the same session."""
    stage = CohostStage()
    stage.resize(*size)
    stage.set_layout(layout_tiles(CohostLayout.model_validate(snapshot["layout"])), {}, me="")
    streams = {host["userId"]: host["streamId"] or host["username"] for host in snapshot["hosts"]}
    boxes = {}
    for tile in stage.tiles:
        rect = stage.tile_rect(tile)
        boxes[streams[tile.user_id]] = [rect.x(), rect.y(), rect.width(), rect.height()]
    stage.deleteLater()
    return boxes


async def test_viewer_tiles_match_the_studio_stage_in_every_layout(
    server: LiveServer, chromium: Chromium
) -> None:
    qt_application()  # the studio's stage is a widget
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        users = [await register(client) for _ in range(max(COUNTS))]
        primary: ApiUser = users[0]
        session = await primary.data(
            "POST", "/api/multihost", json={"title": "Geometry", "type": "panel", "layout": "grid"}
        )
        base = f"/api/multihost/{session['id']}"
        await primary.data("POST", f"{base}/start")
        viewer = await open_viewer(browser, server.url, primary.username)
        joined = 1
        checked = 0
        for count in COUNTS:
            for guest in users[joined:count]:
                await primary.data("POST", f"{base}/invite", json={"userId": guest.id})
                await guest.data("POST", f"{base}/accept")
            joined = count
            for mode, grid in LAYOUTS:
                if grid == "2x2" and count > 4:
                    continue  # the server moves a fifth host to the 3x3 grid
                body = {"mode": mode, **({"grid": grid} if grid else {})}
                await primary.data("PUT", f"{base}/layout", json=body)
                await viewer.page.wait_for_function(
                    SHOWN, arg=[mode, grid or "", count], timeout=10_000
                )
                snapshot = await primary.data("GET", base)
                measured = await viewer.page.evaluate(TILE_BOXES)
                size = (round(measured["width"]), round(measured["height"]))
                expected = studio_boxes(snapshot, size)
                assert measured["tiles"].keys() == expected.keys(), (mode, grid, count)
                assert set(measured["fits"]) == {"contain"}  # whole pictures: no face cut off
                for stream, box in expected.items():
                    got = measured["tiles"][stream]
                    assert all(abs(a - b) <= TOLERANCE_PX for a, b in zip(got, box, strict=True)), (
                        mode,
                        grid,
                        count,
                        stream,
                        got,
                        box,
                    )
                checked += 1
        assert checked == len(LAYOUTS) * len(COUNTS) - 2  # every layout, 2x2 up to four hosts
        assert viewer.errors == []
