"""A gift sent from the viewer page while the studio is live bursts into particles on the
broadcast: the frames a WHEP viewer decodes change (issue 16: ``Pipeline.trigger`` had been
called only by tests, so no real gift ever burst)."""

from __future__ import annotations

import pytest

from studio.core.subscriber import WhepPlayer
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import open_viewer
from tests.helpers_media import (
    Collector,
    StillSource,
    decoded_off_grey_share,
    gift_battle,
    gift_particles,
    live_broadcast,
    loopback_ice,  # noqa: F401  (fixture)
)
from tests.servers import LiveServer

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(180)]
QUIET = 0.001  # of the pixels: codec noise on the still grey picture
BURST = 0.01  # hundreds of hearts cover far more than this


async def test_a_gift_from_the_viewer_page_bursts_on_the_decoded_frames(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with gift_battle(server, fan_coins=500) as (battle, events):
        alice, bob, giver = battle.host, battle.opponent, battle.fan
        async with live_broadcast(
            server.url,
            alice.username,
            alice.token,
            chain=gift_particles(),
            source=StillSource(),
            audio=None,
        ) as broadcast:
            broadcast.follow_gifts(events, alice.id)
            player = WhepPlayer(f"{server.url}/whep/{alice.username}", token=bob.token)
            await player.start()
            assert player.video is not None
            video = Collector(player.video, measure=decoded_off_grey_share).start()
            try:
                await video.wait_for(lambda: len(video.measured) >= 20)
                assert max(video.measured) < QUIET  # no gift yet: nothing but grey
                before = len(video.measured)
                async with chromium() as browser:
                    viewer = await open_viewer(
                        browser, server.url, alice.username, token=giver.token
                    )
                    send = viewer.page.get_by_role("button", name="Send Crown, 99 coins each")
                    await send.wait_for()
                    await viewer.page.get_by_role("radio", name=alice.username).check()
                    await send.click()
                    await viewer.page.get_by_role("status").filter(has_text="Sent Crown").wait_for()
                    await video.wait_for(lambda: max(video.measured[before:], default=0) > BURST)
                    assert viewer.errors == []
            finally:
                await video.stop()
                await player.stop()
