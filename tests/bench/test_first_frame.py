"""The time-to-first-frame benchmark reads a real page load: every milestone it reports
happened, in the order the viewer page works (js/early.js asks for the viewer token and makes
the peer connection before the video's modules have loaded; the WHEP offer goes out once it has
both, and a frame shows once the offer is answered)."""

from __future__ import annotations

import pytest

from bench.media import first_frame_milestones
from tests.helpers_media import loopback_ice  # noqa: F401

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(120)]
ORDER = ("asked", "identity", "offer", "sent", "answer", "connected", "frame")


async def test_the_first_frame_milestones_come_in_the_page_s_order() -> None:
    (load,) = await first_frame_milestones(1)
    assert set(load) == {*ORDER, "scripts", "pc", "gathered"}
    assert all(load[name] > 0 for name in load), load
    assert [load[name] for name in ORDER] == sorted(load[name] for name in ORDER), load
    assert load["pc"] < load["offer"]  # the peer connection is made while the token comes
    # ... and both before the page's modules are in (issue 23: js/early.js).
    assert load["asked"] < load["scripts"] and load["pc"] < load["scripts"], load
    assert load["scripts"] < load["offer"], load
    assert load["gathered"] > load["pc"]  # the offer may leave before (trickle ICE)
