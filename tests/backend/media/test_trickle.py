"""Trickle ICE: PATCH on a WHIP/WHEP session with an SDP fragment (RFC 9725 §4.3)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from backend.errors import InvalidInput
from backend.media.trickle import TRICKLE_ICE, parse_fragment
from tests.backend.api_helpers import ApiUser, register
from tests.helpers_media import Collector, live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer

FRAGMENT = (
    "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
    "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n"
    "a=candidate:2 1 udp 1686052607 198.51.100.7 3478 typ srflx raddr 192.0.2.1 rport 61764\r\n"
    "a=end-of-candidates\r\n"
)
TRICKLE = {"Content-Type": TRICKLE_ICE}


def test_a_fragment_names_its_credentials_candidates_and_their_media_lines() -> None:
    fragment = parse_fragment(FRAGMENT)
    assert (fragment.ufrag, fragment.pwd) == ("EsAw", "P2uYro0UCOQ4zxjKXaWCBui1")
    host, reflexive = fragment.candidates
    assert (host.ip, host.port, host.type, host.sdpMid, host.sdpMLineIndex) == (
        "192.0.2.1", 61764, "host", "0", 0,
    )  # fmt: skip
    assert (reflexive.type, reflexive.relatedPort, reflexive.sdpMid) == ("srflx", 61764, "1")
    assert reflexive.sdpMLineIndex == 1
    assert fragment.end_of_candidates


@pytest.mark.parametrize(
    "text", ["a=ice-ufrag:x\r\na=ice-pwd:y\r\n", "m=audio 9 RTP/AVP 0\r\na=candidate:1 1 udp\r\n"]
)
def test_a_fragment_without_usable_candidates_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_fragment(text)


def without_candidates(sdp: str) -> str:
    kept = [line for line in sdp.splitlines() if not line.startswith(("a=candidate:", "a=end-of"))]
    return "\r\n".join(kept) + "\r\n"


def fragment_of(sdp: str, ufrag: str | None = None) -> str:
    """What a trickling client PATCHes: credentials, media lines with mids, candidates, end."""
    wanted = ("a=ice-ufrag:", "a=ice-pwd:", "m=", "a=mid:", "a=candidate:")
    lines = [line for line in sdp.splitlines() if line.startswith(wanted)]
    if ufrag is not None:
        lines = [f"a=ice-ufrag:{ufrag}" if x.startswith("a=ice-ufrag:") else x for x in lines]
    return "\r\n".join([*dict.fromkeys(lines), "a=end-of-candidates"]) + "\r\n"


async def post_offer(viewer: ApiUser, stream: str, pc: RTCPeerConnection) -> httpx.Response:
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return await viewer.call(
        "POST",
        f"/whep/{stream}",
        content=without_candidates(pc.localDescription.sdp),
        headers={"Content-Type": "application/sdp"},
    )


@pytest.mark.usefixtures("loopback_ice")
async def test_candidates_patched_after_the_offer_reach_the_session(server: LiveServer) -> None:
    media = server.app.state.media
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
        viewer = await register(client)
        stranger = await register(client)
        async with live_publisher(server.url, alice.username, alice.token, size=(256, 144)):
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            created = await post_offer(viewer, alice.username, pc)
            assert created.status_code == 201, created.text
            assert created.headers["accept-patch"] == TRICKLE_ICE
            location, etag = created.headers["location"], created.headers["etag"]
            session = media.session(location.rsplit("/", 1)[1])
            ice = session.pc.getTransceivers()[0].receiver.transport.transport
            assert ice.getRemoteCandidates() == []
            offer = pc.localDescription.sdp

            refusals = {
                415: await viewer.call("PATCH", location, content=fragment_of(offer)),
                412: await viewer.call(
                    "PATCH", location, content=fragment_of(offer),
                    headers={**TRICKLE, "If-Match": '"stale"'},
                ),
                422: await viewer.call(
                    "PATCH", location, content=fragment_of(offer, ufrag="restart"), headers=TRICKLE
                ),
                404: await stranger.call(
                    "PATCH", location, content=fragment_of(offer), headers=TRICKLE
                ),
            }  # fmt: skip
            assert {status: r.status_code for status, r in refusals.items()} == {
                s: s for s in refusals
            }
            wrong_kind = location.replace("/whep/", "/whip/")  # the stream owner's (or key's) path
            assert (
                await viewer.call("PATCH", wrong_kind, content=fragment_of(offer), headers=TRICKLE)
            ).status_code == 403
            assert ice.getRemoteCandidates() == []

            patched = await viewer.call(
                "PATCH", location, content=fragment_of(offer),
                headers={**TRICKLE, "If-Match": etag},
            )  # fmt: skip
            assert patched.status_code == 204, patched.text
            ports = {c.port for c in ice.getRemoteCandidates()}
            assert ports and ports <= {int(line.split()[5]) for line in offer.splitlines()
                                       if line.startswith("a=candidate:")}  # fmt: skip

            video = asyncio.get_running_loop().create_future()
            pc.on("track", video.set_result)
            await pc.setRemoteDescription(RTCSessionDescription(created.text, "answer"))
            collector = Collector(await asyncio.wait_for(video, 10)).start()
            await collector.wait_for(lambda: collector.frames > 0)
            await collector.stop()
            await pc.close()
