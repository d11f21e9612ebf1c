"""/api/webrtc and the webrtc:* events: setup, rooms, relay, quality and health."""

from __future__ import annotations

import httpx

from tests.backend.api_helpers import Listener, register
from tests.servers import LiveServer
from wire.events import WebRTC


async def test_stream_start_join_and_quality_endpoints(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
        started = await alice.data(
            "POST", "/api/webrtc/stream/start", json={"label": "cam2", "visibility": "members"}
        )
        assert started["streamId"] == f"{alice.username}~cam2"
        assert started["whipUrl"] == f"/whip/{alice.username}~cam2?visibility=members"
        assert started["live"] is False and started["iceServers"] == []
        joined = await alice.data("GET", f"/api/webrtc/stream/{alice.username}/join")
        assert joined["live"] is False and joined["whepUrl"] == f"/whep/{alice.username}"

        excellent = await alice.data(
            "POST",
            "/api/webrtc/quality/adapt",
            json={"rtt": 20, "packetLoss": 0.2, "bitrate": 3000},
        )
        assert excellent["quality"] == "excellent"
        assert excellent["recommended"]["height"] == 1080
        poor = await alice.data(
            "POST",
            "/api/webrtc/connection/monitor",
            json={"rtt": 350, "packetLoss": 9, "bitrate": 300},
        )
        assert poor["status"] == "poor" and poor["recommended"]["level"] == "low"
        assert any("latency" in issue for issue in poor["issues"])

        refused = await alice.call(
            "POST", "/api/webrtc/quality/adapt", json={"packetLoss": 150, "winner": "me"}
        )
        assert refused.status_code == 422
        not_sdp = await alice.call(
            "POST", f"/whip/{alice.username}", content="v=0", headers={"Content-Type": "text/plain"}
        )
        assert not_sdp.status_code == 415
        other = await register(client)
        stolen = await other.call(
            "POST",
            f"/whip/{alice.username}",
            content="v=0\r\n",
            headers={"Content-Type": "application/sdp"},
        )
        assert stolen.status_code == 403
        offline = await other.call(
            "POST", "/api/webrtc/offer", json={"streamId": alice.username, "sdp": "v=0\r\n" * 3}
        )
        assert offline.status_code in (400, 404)


async def test_rooms_relay_and_room_events(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, bob = await register(client), await register(client)
        guest = (await client.post("/api/auth/guest")).json()["data"]["token"]
        async with (
            Listener(server.ws_url, alice.token) as a,
            Listener(server.ws_url, bob.token) as b,
            Listener(server.ws_url, guest) as g,
        ):
            await a.send(WebRTC.JOIN_ROOM, {"roomId": "studio-1"})
            first = await a.wait_for(WebRTC.EXISTING_PEERS)
            assert first["data"]["peers"] == [] and first["data"]["topology"] == "mesh"
            await b.send(WebRTC.JOIN_ROOM, {"roomId": "studio-1"})
            second = await b.wait_for(WebRTC.EXISTING_PEERS)
            assert [p["userId"] for p in second["data"]["peers"]] == [alice.id]
            joined = await a.wait_for(WebRTC.PEER_JOINED)
            assert joined["data"]["peer"]["whepUrl"] == f"/whep/{bob.username}"

            await b.send(
                WebRTC.OFFER, {"roomId": "studio-1", "to": alice.id, "sdp": "v=0 an offer"}
            )
            offer = await a.wait_for(WebRTC.OFFER)
            assert offer["data"]["from"] == bob.id and offer["data"]["sdp"] == "v=0 an offer"
            await alice.data(
                "POST",
                "/api/webrtc/answer",
                json={"roomId": "studio-1", "to": bob.id, "sdp": "v=0 an answer"},
            )
            answer = await b.wait_for(WebRTC.ANSWER)
            assert answer["data"]["from"] == alice.id
            await a.send(
                WebRTC.ICE_CANDIDATE,
                {"roomId": "studio-1", "to": bob.id, "candidate": {"candidate": "c"}},
            )
            assert (await b.wait_for(WebRTC.ICE_CANDIDATE))["data"]["candidate"] == {
                "candidate": "c"
            }
            await a.send(WebRTC.RENEGOTIATE, {"roomId": "studio-1", "to": bob.id})
            assert (await b.wait_for(WebRTC.RENEGOTIATION_NEEDED))["data"]["from"] == alice.id

            await a.send(
                WebRTC.TOGGLE_TRACK, {"roomId": "studio-1", "kind": "audio", "enabled": False}
            )
            toggled = await b.wait_for(WebRTC.TRACK_TOGGLED)
            assert toggled["data"] == {
                "roomId": "studio-1",
                "userId": alice.id,
                "kind": "audio",
                "enabled": False,
            }
            await b.send(WebRTC.CHANGE_LAYOUT, {"roomId": "studio-1", "layout": "spotlight"})
            assert (await a.wait_for(WebRTC.LAYOUT_CHANGED))["data"]["layout"] == "spotlight"

            await a.send(
                WebRTC.STATS_UPDATE,
                {"roomId": "studio-1", "rtt": 250, "packetLoss": 7, "bitrate": 200},
            )
            assert (await b.wait_for(WebRTC.PEER_STATS))["data"]["stats"]["rtt"] == 250
            warning = await a.wait_for(WebRTC.CONNECTION_WARNING)
            assert warning["data"]["status"] == "poor"
            await a.send(
                WebRTC.ADAPT_QUALITY,
                {"roomId": "studio-1", "rtt": 150, "packetLoss": 0, "bitrate": 900},
            )
            assert (await a.wait_for(WebRTC.QUALITY_ADAPTED))["data"]["quality"] == "fair"
            assert (await b.wait_for(WebRTC.PEER_QUALITY_CHANGED))["data"]["userId"] == alice.id
            quality_changes = server.app.state.services.analytics.media.snapshot()
            assert quality_changes.quality_changes == {"fair": 1}
            await b.send(WebRTC.HEALTH_CHECK, {"rtt": 10, "packetLoss": 0, "bitrate": 2500})
            assert (await b.wait_for(WebRTC.HEALTH_STATUS))["data"]["status"] == "healthy"

            await g.send(WebRTC.JOIN_ROOM, {"roomId": "studio-1"})
            assert (await g.wait_for(WebRTC.ERROR))["data"]["code"] == "forbidden"
            await a.send(
                WebRTC.OFFER, {"roomId": "studio-1", "to": "nobody", "sdp": "v=0 an offer"}
            )
            assert (await a.wait_for(WebRTC.ERROR))["data"]["code"] == "peer_not_found"

            await b.send(WebRTC.LEAVE_ROOM, {"roomId": "studio-1"})
            assert (await a.wait_for(WebRTC.PEER_LEFT))["data"]["userId"] == bob.id


async def test_battle_setup_and_battle_rooms_are_for_its_hosts(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        host1, host2, outsider = (
            await register(client),
            await register(client),
            await register(client),
        )
        battle = await host1.data(
            "POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 3}
        )
        await host2.data("POST", f"/api/pk-battles/{battle['id']}/accept")
        setup = await host1.data("GET", f"/api/webrtc/battle/{battle['id']}/setup")
        assert setup["roomId"] == f"battle-{battle['id']}" and setup["topology"] == "mesh"
        assert [h["userId"] for h in setup["hosts"]] == [host1.id, host2.id]
        assert setup["hosts"][1]["whepUrl"] == f"/whep/{host2.username}" and setup["isHost"]
        async with (
            Listener(server.ws_url, host2.token) as h2,
            Listener(server.ws_url, outsider.token) as o,
        ):
            await h2.send(WebRTC.START_PK_BATTLE, {"battleId": battle["id"]})
            ready = await h2.wait_for(WebRTC.PK_BATTLE_READY)
            assert ready["data"]["battleId"] == battle["id"] and ready["data"]["iceServers"] == []
            await h2.send(WebRTC.JOIN_ROOM, {"roomId": setup["roomId"]})
            await h2.wait_for(WebRTC.EXISTING_PEERS)
            await o.send(WebRTC.JOIN_ROOM, {"roomId": setup["roomId"]})
            assert (await o.wait_for(WebRTC.ERROR))["data"]["code"] == "forbidden"


async def test_multihost_setup_lists_the_session_hosts_and_guards_its_room(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        primary, cohost, outsider = (
            await register(client),
            await register(client),
            await register(client),
        )
        session = await primary.data(
            "POST", "/api/multihost", json={"title": "Panel", "type": "panel"}
        )
        await primary.data(
            "POST", f"/api/multihost/{session['id']}/invite", json={"userId": cohost.id}
        )
        await cohost.data("POST", f"/api/multihost/{session['id']}/accept")
        setup = await cohost.data("GET", f"/api/webrtc/multihost/{session['id']}/setup")
        assert setup["roomId"] == f"multihost-{session['id']}" and setup["topology"] == "mesh"
        assert {h["userId"] for h in setup["hosts"]} == {primary.id, cohost.id}
        assert setup["isHost"] and setup["iceServers"] == []
        async with (
            Listener(server.ws_url, cohost.token) as c,
            Listener(server.ws_url, outsider.token) as o,
        ):
            await c.send(WebRTC.START_MULTIHOST, {"sessionId": session["id"]})
            ready = await c.wait_for(WebRTC.MULTIHOST_READY)
            assert len(ready["data"]["hosts"]) == 2
            await c.send(WebRTC.JOIN_ROOM, {"roomId": setup["roomId"]})
            await c.wait_for(WebRTC.EXISTING_PEERS)
            await o.send(WebRTC.JOIN_ROOM, {"roomId": setup["roomId"]})
            assert (await o.wait_for(WebRTC.ERROR))["data"]["code"] == "forbidden"
