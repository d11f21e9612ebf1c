"""A video packet a viewer lost is retransmitted by the SFU's forwarding sender (NACK -> RTX),
and the viewer's picture goes on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiortc import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from tests.helpers_media import Collector, loopback_ice, watched_stream  # noqa: F401
from tests.servers import LiveServer

pytestmark = pytest.mark.usefixtures("loopback_ice")
LOSE_AFTER = 60  # video packets: well after the first keyframe


class LossyLink:
    """Drops one video packet (not a frame's last) on its way into a receiver, and notes the
    original sequence numbers of the retransmissions that arrive."""

    def __init__(self, receiver: RTCRtpReceiver, media_ssrc: int) -> None:
        self.media_ssrc = media_ssrc
        self.seen = 0
        self.lost: int | None = None
        self.retransmitted: list[int] = []
        self._deliver: Callable[[RtpPacket, int], Awaitable[None]] = receiver._handle_rtp_packet
        receiver._handle_rtp_packet = self._arrive  # type: ignore[method-assign]

    async def _arrive(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        if packet.ssrc == self.media_ssrc:
            self.seen += 1
            if self.lost is None and self.seen > LOSE_AFTER and not packet.marker:
                self.lost = packet.sequence_number
                return
        elif len(packet.payload) >= 2:  # RTX: the original sequence number comes first
            self.retransmitted.append(int.from_bytes(packet.payload[:2]))
        await self._deliver(packet, arrival_time_ms)


async def test_a_lost_video_packet_is_retransmitted_over_rtx(server: LiveServer) -> None:
    async with watched_stream(server) as (session, player):
        [sender] = [t.sender for t in session.pc.getTransceivers() if t.kind == "video"]
        [receiver] = [t.receiver for t in player.pc.getTransceivers() if t.kind == "video"]
        link = LossyLink(receiver, sender._ssrc)
        assert player.video is not None
        video = Collector(player.video).start()
        try:
            await video.wait_for(lambda: link.lost is not None)
            decoded_then = video.frames
            await video.wait_for(lambda: link.lost in link.retransmitted)
            await video.wait_for(lambda: video.frames >= decoded_then + 30)
        finally:
            await video.stop()
        stats = await sender.getStats()
        [outbound] = [s for s in stats.values() if s.type == "outbound-rtp"]
        assert outbound.packetsSent >= link.seen  # the forwarding loop keeps aiortc's counts
        assert outbound.bytesSent > 0
