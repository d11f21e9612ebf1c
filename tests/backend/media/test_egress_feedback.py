"""Viewers are answered without bandwidth-estimate feedback: the SFU forwards the publisher's
bitrate whatever they estimate, and each REMB was a datagram it decrypted and dropped."""

from __future__ import annotations

import pytest
from aiortc import RTCRtpSender
from aiortc.rtp import RTCP_PSFB_APP, AnyRtcpPacket, RtcpPsfbPacket

from backend.media.codecs import without_receiver_estimates
from tests.helpers_media import Collector, loopback_ice, watched_stream  # noqa: F401
from tests.servers import LiveServer

pytestmark = pytest.mark.usefixtures("loopback_ice")

CHROME_VIDEO = (
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3/recvonly http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc"
    "-extensions-01\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
)


def test_estimate_lines_go_and_everything_else_stays() -> None:
    kept = without_receiver_estimates(CHROME_VIDEO)
    assert kept == (
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
        "a=rtpmap:96 VP8/90000\r\n"
        "a=rtcp-fb:96 ccm fir\r\n"
        "a=rtcp-fb:96 nack\r\n"
        "a=rtcp-fb:96 nack pli\r\n"
        "a=rtpmap:97 rtx/90000\r\n"
    )


class RembCounter:
    """Counts the REMB packets reaching a sender (and every RTCP packet)."""

    def __init__(self, sender: RTCRtpSender) -> None:
        self.remb = self.packets = 0
        self._handle = sender._handle_rtcp_packet
        sender._handle_rtcp_packet = self._count  # type: ignore[method-assign]

    async def _count(self, packet: AnyRtcpPacket) -> None:
        self.packets += 1
        self.remb += isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP
        await self._handle(packet)


async def test_a_viewer_plays_without_sending_bandwidth_estimates(server: LiveServer) -> None:
    async with watched_stream(server) as (session, player):
        assert "goog-remb" not in session.answer and "abs-send-time" not in session.answer
        [sender] = [t.sender for t in session.pc.getTransceivers() if t.kind == "video"]
        feedback = RembCounter(sender)
        assert player.video is not None
        video = Collector(player.video).start()
        try:
            await video.wait_for(lambda: video.frames >= 60 and feedback.packets > 0)
        finally:
            await video.stop()
    assert feedback.remb == 0
