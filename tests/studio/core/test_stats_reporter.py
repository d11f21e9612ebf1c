"""The publisher's statistics reach the backend and the broadcaster's room as webrtc events."""

from __future__ import annotations

import httpx
import pytest

from studio.core.events import EventClient
from studio.core.publisher import PublisherState, PublisherStatus
from studio.core.stats_reporter import StatsReporter, stats_payload, stats_room
from tests.backend.api_helpers import Listener, register
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401  (fixture)
from tests.servers import LiveServer
from wire.events import WebRTC
from wire.quality import LEVELS, Condition


def status(rtt_ms: float | None) -> PublisherStatus:
    return PublisherStatus(
        state=PublisherState.LIVE,
        level=LEVELS[Condition.GOOD],
        network="good",
        rtt_ms=rtt_ms,
        loss_pct=0.123,
        bitrate_kbps=1499.96,
        fps=29.97,
    )


def test_the_payload_carries_the_spec_fields_and_leaves_out_an_unknown_rtt() -> None:
    assert stats_payload("stream-alice", status(41.26)).to_wire() == {
        "roomId": "stream-alice",
        "rtt": 41.3,
        "packetLoss": 0.12,
        "bitrate": 1500.0,
        "fps": 30.0,
    }
    assert "rtt" not in stats_payload("stream-alice", status(None)).to_wire()


@pytest.mark.usefixtures("loopback_ice")
async def test_a_live_publisher_reports_its_link_to_the_backend_and_its_room(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, bob = await register(client), await register(client)
    room = stats_room(alice.username)
    events = EventClient(server.ws_url, alice.token)
    events.start()
    await events.wait_connected()
    reporter = StatsReporter(events, alice.username, every_s=0.2)
    async with Listener(server.ws_url, bob.token) as watcher:
        await watcher.send(WebRTC.JOIN_ROOM, {"roomId": room})
        await watcher.wait_for(WebRTC.EXISTING_PEERS)
        async with live_publisher(server.url, alice.username, alice.token, size=(256, 144)) as pub:
            pub.add_status_listener(reporter)
            stats = await watcher.wait_for(
                lambda e: e["event"] == WebRTC.PEER_STATS and e["data"]["stats"]["bitrate"] > 0
            )
            recorded = server.app.state.webrtc.peer(room, alice.id).stats
        await reporter.close()
        left = await watcher.wait_for(WebRTC.PEER_LEFT)
        await events.stop()
    assert stats["data"]["userId"] == left["data"]["userId"] == alice.id
    assert stats["data"]["stats"]["fps"] > 0
    assert recorded is not None and recorded.bitrate > 0
