"""A subscriber's forwarding sender gets each frame straight from the fanout's loop."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import av
import pytest
from aiortc.mediastreams import MediaStreamError

from backend.media.sfu import Fanout
from rtc.aiortc_hooks import DirectTrack


def _packet(pts: int) -> av.Packet:
    packet = av.Packet(bytes([pts % 256]) * 100)
    packet.pts = pts
    packet.time_base = Fraction(1, 90000)
    return packet


async def test_frames_go_to_the_sink_as_they_come_after_what_was_queued() -> None:
    fanout = Fanout("video")
    track = fanout.subscribe()
    assert isinstance(track, DirectTrack)
    track.push(_packet(1), keyframe=True)  # before the viewer's connection is up
    track.push(_packet(2), keyframe=False)
    sent: list[int] = []
    track.send_with(lambda packet: sent.append(packet.pts or 0))
    assert sent == [1, 2]
    track.push(_packet(3), keyframe=False)
    assert sent == [1, 2, 3]
    assert track.forwarded == 3
    ending = asyncio.ensure_future(track.recv())  # returns nothing until the track ends
    await asyncio.sleep(0)
    assert not ending.done()
    track.stop()
    with pytest.raises(MediaStreamError):
        await ending


async def test_a_sink_that_fails_ends_the_subscription() -> None:
    fanout = Fanout("video")
    track = fanout.subscribe()

    def closed(packet: av.Packet) -> None:
        raise ConnectionError("Cannot send encrypted RTP, not connected")

    track.send_with(closed)
    track.push(_packet(1), keyframe=True)
    assert track.readyState == "ended"
    assert track not in fanout.subscribers
    with pytest.raises(MediaStreamError):
        await track.recv()
