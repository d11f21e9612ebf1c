"""The broadcast engine on a real backend: its state and news while going live and ending,
switching the source under a live output, the network's level changing only what is sent,
and gifts bursting on the program only while live and only when they are mine."""

from __future__ import annotations

import asyncio

import httpx
import numpy as np
import pytest

from studio.core.broadcast import Broadcast, BroadcastState, LiveTarget
from studio.core.events import EventClient, ServerEvent
from studio.core.frames import FrameFlow
from studio.core.gifts import GiftArrival, gift_in
from studio.core.quality import Condition, QualityController
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource
from studio.core.subscriber import WhepPlayer
from tests.backend.api_helpers import ApiUser, register
from tests.helpers_media import (
    Collector,
    StillSource,
    gift_battle,
    gift_particles,
    live_broadcast,
    loopback_ice,  # noqa: F401  (fixture)
    off_grey_share,
)
from tests.servers import LiveServer
from wire.events import PK

pytestmark = pytest.mark.usefixtures("loopback_ice")
FRAMES = 10  # program frames to watch for a change that must not come


async def program_frames(flow: FrameFlow, count: int) -> list[np.ndarray]:
    """The next ``count`` program frames."""
    seq, images = 0, []
    while len(images) < count:
        frame = await flow.next(seq)
        seq = frame.seq
        images.append(frame.image)
    return images


async def test_states_and_news_while_going_live_switching_the_source_and_ending(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    broadcast = Broadcast()
    states: list[BroadcastState] = []
    live: list[bool] = []
    sources: list[str] = []
    failures: list[str] = []
    broadcast.status_changed.add(lambda _: states.append(broadcast.state))
    broadcast.live_changed.add(live.append)
    broadcast.source_changed.add(sources.append)
    broadcast.source_failed.add(failures.append)
    try:
        assert broadcast.state is BroadcastState.IDLE and not broadcast.live
        assert await broadcast.open_source("file:/no/such/clip.mp4") is False
        assert failures == ["Could not open clip.mp4: no such video file: /no/such/clip.mp4"]
        broadcast.use_source(SampleSource(320, 180, marker=True), SAMPLE)
        flow = broadcast.flow
        publisher = await broadcast.go_live(
            LiveTarget(f"{server.url}/whip/{alice.username}", alice.token)
        )
        await asyncio.wait_for(publisher.wait_live(), 20)
        assert broadcast.state is BroadcastState.LIVE and broadcast.outputs == {"whip": publisher}
        assert await broadcast.go_live(LiveTarget("http://127.0.0.1:9/whip/x")) is publisher

        broadcast.use_source(SampleSource(320, 180, marker=True, marker_base=50_000), SAMPLE)
        assert broadcast.flow is flow  # the same program: the live output keeps going
        player = WhepPlayer(f"{server.url}/whep/{alice.username}", token=alice.token)
        await player.start()
        assert player.video is not None
        video = Collector(player.video).start()
        try:
            await video.wait_for(lambda: any(m >= 50_000 for m in video.markers))
        finally:
            await video.stop()
            await player.stop()

        await broadcast.end()
        assert broadcast.state is BroadcastState.IDLE and broadcast.outputs == {}
        assert broadcast.flow is flow and flow.running  # the preview goes on
    finally:
        await broadcast.close()
    assert states[0] is BroadcastState.CONNECTING and BroadcastState.LIVE in states
    assert states[-1] is BroadcastState.IDLE
    assert live == [True, False] and sources == [SAMPLE, SAMPLE]
    assert broadcast.flow is None and not flow.running


async def test_a_poor_network_shrinks_what_viewers_get_never_the_program(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    poor = QualityController(start=Condition.POOR, highest=Condition.POOR)
    async with live_broadcast(
        server.url, alice.username, alice.token, size=(1280, 720), quality=poor, audio=None
    ) as broadcast:
        player = WhepPlayer(f"{server.url}/whep/{alice.username}", token=alice.token)
        await player.start()
        assert player.video is not None
        video = Collector(player.video).start()
        try:
            await video.wait_for(lambda: video.frames >= 10)
        finally:
            await video.stop()
            await player.stop()
        assert broadcast.flow is not None
        program = await program_frames(broadcast.flow, 3)
    assert video.sizes == {(640, 360)}  # the poor level's size reached the viewer ...
    assert {image.shape for image in program} == {(720, 1280, 3)}  # ... the preview kept its


def test_gift_events_are_read_by_name() -> None:
    data = {"gift": {"toHost": "u1", "quantity": 3, "name": "Star"}, "battleId": "b"}
    assert gift_in(ServerEvent(PK.GIFT, data)) == GiftArrival("u1", 3, "Star")
    assert gift_in(ServerEvent(PK.ENDED, data)) is None


async def gift(fan: ApiUser, battle_id: str, to: ApiUser, arrived: asyncio.Queue[str]) -> None:
    """``fan`` sends a star to ``to``; returns once the studio's event link brought it."""
    body = {"giftId": "star", "quantity": 1, "toHost": to.id}
    await fan.data("POST", f"/api/pk-battles/{battle_id}/gift", json=body)
    assert await asyncio.wait_for(arrived.get(), 10) == to.id


async def test_gifts_burst_on_the_program_only_while_live_and_only_mine(
    server: LiveServer,
) -> None:
    async with gift_battle(server, fan_coins=100) as (battle, events):
        alice, bob, fan = battle.host, battle.opponent, battle.fan
        arrived: asyncio.Queue[str] = asyncio.Queue()

        def note_gift(event: ServerEvent) -> None:
            found = gift_in(event)
            if found is not None:
                arrived.put_nowait(found.to_user)

        events.subscribe(note_gift)
        broadcast = Broadcast(gift_particles())
        try:
            broadcast.follow_gifts(events, alice.id)
            broadcast.use_source(StillSource(320, 180), SAMPLE)
            flow = broadcast.flow
            assert flow is not None

            await gift(fan, battle.id, alice, arrived)  # mine, but not live
            assert max(map(off_grey_share, await program_frames(flow, FRAMES))) == 0.0
            await broadcast.go_live(LiveTarget(f"{server.url}/whip/{alice.username}", alice.token))
            await gift(fan, battle.id, bob, arrived)  # live, but not mine
            assert max(map(off_grey_share, await program_frames(flow, FRAMES))) == 0.0
            await gift(fan, battle.id, alice, arrived)  # live and mine: a burst
            assert max(map(off_grey_share, await program_frames(flow, FRAMES))) > 0.01
        finally:
            await broadcast.close()


async def test_a_gift_outside_a_battle_bursts_on_the_program_too(server: LiveServer) -> None:
    """``stream:gift`` (a gift on any live) reaches the studio's own room and bursts."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, fan = await register(client), await register(client, coins=50)
        events = EventClient(server.ws_url, alice.token)
        events.start()
        arrived: asyncio.Queue[GiftArrival] = asyncio.Queue()
        events.subscribe(
            lambda event: arrived.put_nowait(found) if (found := gift_in(event)) else None
        )
        broadcast = Broadcast(gift_particles())
        try:
            await events.wait_connected()
            broadcast.follow_gifts(events, alice.id)
            broadcast.use_source(StillSource(320, 180), SAMPLE)
            flow = broadcast.flow
            assert flow is not None
            target = LiveTarget(f"{server.url}/whip/{alice.username}", alice.token)
            publisher = await broadcast.go_live(target)
            await asyncio.wait_for(publisher.wait_live(), 20)  # a gift needs the stream live
            body = {"giftId": "star", "quantity": 2}
            await fan.data("POST", f"/api/streams/{alice.username}/gift", json=body)
            assert await asyncio.wait_for(arrived.get(), 10) == GiftArrival(alice.id, 2, "Star")
            assert max(map(off_grey_share, await program_frames(flow, FRAMES))) > 0.01
        finally:
            await broadcast.close()
            await events.stop()
