"""The time-to-first-frame benchmark reads a real page load: every milestone it reports
happened, in the order the viewer page works (js/early.js asks for the viewer token and makes
the peer connection, and the video's modules take both over; the WHEP offer goes out once it
has both, and a frame shows once the offer is answered)."""

from __future__ import annotations

import pytest

from bench.media import first_frame_milestones
from tests.helpers_media import loopback_ice  # noqa: F401

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(120)]
ORDER = ("asked", "identity", "offer", "sent", "answer", "connected", "frame")


async def test_the_first_frame_milestones_come_in_the_page_s_order() -> None:
    (load,) = await first_frame_milestones(1)
    made = ("pc", "candidate", "gathered", "early", "guestTaken", "peerTaken")
    assert set(load) == {*ORDER, "scripts", *made}
    assert all(load[name] > 0 for name in load), sorted(load.items(), key=lambda item: item[1])
    assert [load[name] for name in ORDER] == sorted(load[name] for name in ORDER), load
    assert load["pc"] < load["offer"]  # the peer connection is made while the token comes
    # js/early.js asked for the token and made the peer connection, then the page's modules
    # (which run after it: it is a parser-blocking script) took both over (issue 23).
    assert load["asked"] <= load["early"] and load["pc"] <= load["early"], load
    assert load["early"] <= min(load["guestTaken"], load["peerTaken"]), load
    assert load["peerTaken"] <= load["offer"], load
    # The offer does not wait for candidates: they are trickled (how soon the browser finds its
    # first one is its own affair: 100-150 ms on this machine).
    assert load["pc"] < load["candidate"] <= load["gathered"], load
