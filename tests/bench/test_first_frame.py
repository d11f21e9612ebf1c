"""The time-to-first-frame benchmark reads a real page load: every milestone it reports
happened, in the order the viewer page works (js/early.js asks for the viewer token, makes the
peer connection and sends its WHEP offer once it has both; the video's modules take the token
and the connection over, and a frame shows once the offer is answered)."""

from __future__ import annotations

import pytest

from bench.media import first_frame_milestones
from tests.helpers_media import loopback_ice  # noqa: F401

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(120)]
ORDER = ("asked", "identity", "offer", "sent", "answer", "connected", "frame")


async def test_the_first_frame_milestones_come_in_the_page_s_order() -> None:
    (load,) = await first_frame_milestones(1)
    made = ("pc", "candidate", "gathered", "early", "guestTaken", "peerTaken")
    assert set(load) == {*ORDER, "scripts", *made, "peerConnections", "offers"}
    assert all(load[name] > 0 for name in load), sorted(load.items(), key=lambda item: item[1])
    assert [load[name] for name in ORDER] == sorted(load[name] for name in ORDER), load
    # js/early.js asked for the token, made the peer connection and sent its offer; the page's
    # modules (which run after it: it is a parser-blocking script) took them over (issue 23):
    # one connection and one offer in all.
    assert load["pc"] < load["offer"] and load["pc"] <= load["early"], load
    assert load["asked"] <= load["early"] <= min(load["guestTaken"], load["peerTaken"]), load
    assert (load["peerConnections"], load["offers"]) == (1, 1), load
    assert load["peerTaken"] <= load["connected"], load
    # The offer does not wait for candidates: they are trickled (how soon the browser finds its
    # first one is its own affair: 100-150 ms on this machine).
    assert load["pc"] < load["candidate"] <= load["gathered"], load
