"""Co-hosts see each other: two in a mesh (signaling relayed over /ws), five through the SFU."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from aiortc import MediaStreamTrack

from studio.core.cohost import MeshCall, SfuCall
from studio.core.frames import FrameFlow
from studio.core.sources import SampleSource
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.helpers_media import Collector, live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer
from wire.events import WebRTC

pytestmark = pytest.mark.usefixtures("loopback_ice")
SPAN = 10_000  # host i's frames carry markers i*SPAN + frame index


@dataclass
class Host:
    user: ApiUser
    number: int
    listener: Listener
    seen: dict[str, Collector] = field(default_factory=dict)

    def on_track(self, user_id: str, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self.seen[user_id] = Collector(track).start()

    def hosts_seen(self) -> set[int]:
        return {c.markers[-1] // SPAN for c in self.seen.values() if len(c.markers) >= 5}


async def pump(listener: Listener, call: MeshCall | SfuCall) -> None:
    handled = 0
    while True:
        await listener.wait_for(lambda e: True, timeout=3600, since=handled)
        for event in listener.events[handled:]:
            handled += 1
            if event["event"].startswith("webrtc:"):
                await call.handle(event["event"], event["data"])


@contextlib.asynccontextmanager
async def hosts(
    server: LiveServer, client: httpx.AsyncClient, count: int
) -> AsyncIterator[list[Host]]:
    async with contextlib.AsyncExitStack() as stack:
        team = []
        for number in range(1, count + 1):
            user = await register(client)
            listener = await stack.enter_async_context(Listener(server.ws_url, user.token))
            team.append(Host(user, number, listener))
        yield team
        for host in team:
            for collector in host.seen.values():
                await collector.stop()


async def wait_until_everyone_sees_everyone(team: list[Host], timeout: float) -> None:
    async def check() -> None:
        while any(h.hosts_seen() != {o.number for o in team if o is not h} for h in team):
            await asyncio.sleep(0.1)

    await asyncio.wait_for(check(), timeout)


async def test_two_cohosts_in_a_mesh_see_each_other(server: LiveServer) -> None:
    room = "mesh-room"
    async with httpx.AsyncClient(base_url=server.url) as client, hosts(server, client, 2) as team:
        calls, tasks, flows = [], [], []
        try:
            for host in team:
                source = SampleSource(
                    320, 180, fps=15.0, marker=True, marker_base=host.number * SPAN
                )
                flow = FrameFlow(source)
                flow.start()
                flows.append(flow)
                call = MeshCall(room, flow, host.listener.send, on_track=host.on_track)
                calls.append(call)
                tasks.append(asyncio.create_task(pump(host.listener, call)))
                await host.listener.send(WebRTC.JOIN_ROOM, {"roomId": room})
                joined = await host.listener.wait_for(WebRTC.EXISTING_PEERS)
                assert joined["data"]["topology"] == "mesh"
            await wait_until_everyone_sees_everyone(team, 30)
            media = server.app.state.media
            assert media.sessions == {}  # nothing went through the SFU
        finally:
            for task in tasks:
                task.cancel()
            for call in calls:
                await call.close()
            for flow in flows:
                flow.stop()


async def test_five_cohosts_switch_to_the_sfu_and_see_each_other(server: LiveServer) -> None:
    room = "sfu-room"
    async with (
        httpx.AsyncClient(base_url=server.url) as client,
        hosts(server, client, 5) as team,
        contextlib.AsyncExitStack() as stack,
    ):
        calls, tasks = [], []
        try:
            for host in team:
                await stack.enter_async_context(
                    live_publisher(
                        server.url,
                        host.user.username,
                        host.user.token,
                        size=(256, 144),
                        audio=None,
                        marker_base=host.number * SPAN,
                    )
                )
            topologies = []
            for host in team:
                call = SfuCall(room, server.url, token=host.user.token, on_track=host.on_track)
                calls.append(call)
                tasks.append(asyncio.create_task(pump(host.listener, call)))
                await host.listener.send(WebRTC.JOIN_ROOM, {"roomId": room})
                joined = await host.listener.wait_for(WebRTC.EXISTING_PEERS)
                topologies.append(joined["data"]["topology"])
            assert topologies == ["mesh"] * 4 + ["sfu"]
            switched = await team[0].listener.wait_for(WebRTC.RENEGOTIATION_NEEDED)
            assert switched["data"]["topology"] == "sfu"
            await wait_until_everyone_sees_everyone(team, 60)
            media = server.app.state.media
            assert sum(len(s.viewers) for s in media.streams.values()) == 20
        finally:
            for task in tasks:
                task.cancel()
            for call in calls:
                await call.close()


async def test_sfu_call_plays_a_host_again_after_its_playback_drops(server: LiveServer) -> None:
    """The server drops our playback of a host who keeps publishing: the call plays them
    again (a new track), instead of leaving their tile "Offline" while they are live."""
    room = "sfu-again"
    async with (
        httpx.AsyncClient(base_url=server.url) as client,
        hosts(server, client, 2) as (watcher, host),
        live_publisher(
            server.url, host.user.username, host.user.token, size=(256, 144), audio=None
        ),
    ):
        call = SfuCall(room, server.url, token=watcher.user.token, on_track=watcher.on_track)
        task = asyncio.create_task(pump(watcher.listener, call))
        try:
            await host.listener.send(WebRTC.JOIN_ROOM, {"roomId": room})
            await host.listener.wait_for(WebRTC.EXISTING_PEERS)
            await watcher.listener.send(WebRTC.JOIN_ROOM, {"roomId": room})
            first = await wait_for_collector(watcher, host.user.id, frames=5)

            resource = call.players[host.user.id].resource  # the server ends our playback
            assert resource is not None
            await watcher.user.call("DELETE", resource)
            again = await wait_for_collector(watcher, host.user.id, frames=5, not_=first)
            assert again.track is not first.track
        finally:
            task.cancel()
            await call.close()


async def wait_for_collector(
    host: Host, user_id: str, frames: int, not_: Collector | None = None
) -> Collector:
    async def check() -> Collector:
        while True:
            collector = host.seen.get(user_id)
            if collector is not None and collector is not not_ and collector.frames >= frames:
                return collector
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(check(), 30)
