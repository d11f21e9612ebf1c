"""WHIP as encoders speak it (RFC 9725): an OBS-style offer (H.264 constrained baseline 42e01f
and Opus, ICE credentials and the DTLS fingerprint once at session level, ``a=group:LS``, every
candidate in the offer: OBS does not trickle) published with a stream key; and the errors an
encoder shows its user."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)

from backend.media.server import MediaServer
from tests.backend.api_helpers import register
from tests.helpers_media import loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(60)]
SESSION_LEVEL = ("a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:")


def obs_style(sdp: str) -> str:
    """The offer with its ICE credentials and fingerprint moved to session level (once) and
    OBS's ``a=group:LS`` (lip sync) added."""
    lines, shared = [], []
    for line in sdp.splitlines():
        if line.startswith(SESSION_LEVEL):
            if line not in shared:
                shared.append(line)
        else:
            lines.append(line)
    mids = [line.split(":", 1)[1] for line in lines if line.startswith("a=mid:")]
    first_media = next(i for i, line in enumerate(lines) if line.startswith("m="))
    lines[first_media:first_media] = [*shared, f"a=group:LS {' '.join(mids)}"]
    return "\r\n".join(lines) + "\r\n"


def encoder_connection() -> RTCPeerConnection:
    """Sends H.264 constrained baseline (42e01f, packetization-mode 1) and Opus only."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    video = pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    audio = pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    video.setCodecPreferences(
        [
            codec
            for codec in RTCRtpSender.getCapabilities("video").codecs
            if codec.mimeType == "video/H264"
            and codec.parameters.get("profile-level-id") == "42e01f"
            and str(codec.parameters.get("packetization-mode")) == "1"
        ]
    )
    audio.setCodecPreferences(
        [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.mimeType == "audio/opus"]
    )
    return pc


async def test_an_obs_style_offer_is_published_with_a_stream_key(server: LiveServer) -> None:
    media: MediaServer = server.app.state.media
    async with httpx.AsyncClient(base_url=server.url) as http:
        alice = await register(http)
        stream = alice.username
        key = (await alice.data("POST", f"/api/streams/{stream}/keys"))["key"]
        bearer = {"Authorization": f"Bearer {key}"}
        pc = encoder_connection()
        try:
            await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate
            offer = obs_style(pc.localDescription.sdp)
            assert "a=group:LS" in offer and "H264" in offer and "opus" in offer
            session_part = offer.split("m=", 1)[0]
            assert offer.count("a=ice-ufrag:") == 1 and "a=ice-ufrag:" in session_part
            answer = await http.post(
                f"/whip/{stream}",
                content=offer,
                headers={**bearer, "Content-Type": "application/sdp"},
            )
            assert answer.status_code == 201, answer.text
            assert answer.headers["content-type"].startswith("application/sdp")
            location = answer.headers["Location"]
            assert location.startswith(f"/whip/{stream}/") and answer.headers["ETag"]
            await pc.setRemoteDescription(RTCSessionDescription(answer.text, "answer"))
            async with asyncio.timeout(20):
                while pc.connectionState != "connected":
                    await asyncio.sleep(0.05)
            codecs = media.streams[stream].codecs
            assert codecs["video"].mimeType == "video/H264"
            assert codecs["video"].parameters["profile-level-id"] == "42e01f"
            assert codecs["audio"].mimeType == "audio/opus"
            assert (await http.delete(location, headers=bearer)).status_code == 200
            assert stream not in media.streams
        finally:
            await pc.close()


async def test_encoders_get_a_clear_answer_when_refused(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        alice = await register(http)
        key = (await alice.data("POST", f"/api/streams/{alice.username}/keys"))["key"]
        bearer = {"Authorization": f"Bearer {key}"}
        wrong_method = await http.get(f"/whip/{alice.username}", headers=bearer)
        assert wrong_method.status_code == 405
        assert wrong_method.json()["error"]["code"] == "method_not_allowed"
        not_sdp = await http.post(f"/whip/{alice.username}", json={"sdp": "v=0"}, headers=bearer)
        assert not_sdp.status_code == 415
        assert "application/sdp" in not_sdp.json()["error"]["message"]
        no_key = await http.post(
            f"/whip/{alice.username}",
            content="v=0\r\n",
            headers={"Content-Type": "application/sdp"},
        )
        assert no_key.status_code == 401
        assert "Bearer" in no_key.json()["error"]["message"]
