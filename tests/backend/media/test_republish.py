"""A publisher that publishes its stream again (a WHIP retry, a reconnect) while nobody watches
replaces its earlier session and the stream stays known: ending the old session used to drop
the stream, and the new publisher's answer then failed (KeyError, 500)."""

from __future__ import annotations

from aiortc import RTCPeerConnection

from backend.media.server import MediaServer


async def _offer(pc: RTCPeerConnection) -> str:
    pc.addTransceiver("video", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    return str(pc.localDescription.sdp)


async def test_publishing_again_without_viewers_keeps_the_stream() -> None:
    media = MediaServer()
    publishers = [RTCPeerConnection(), RTCPeerConnection()]
    try:
        first = await media.publish("alice", "user-1", await _offer(publishers[0]))
        second = await media.publish("alice", "user-1", await _offer(publishers[1]))
        assert media.streams["alice"].publisher is second
        assert first.ended and first.id not in media.sessions
        assert media.streams["alice"].fanouts["video"].live
    finally:
        for pc in publishers:
            await pc.close()
        await media.close()
