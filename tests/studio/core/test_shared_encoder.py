"""The shared encode: one encoder per setting while anything uses it, and feeds that drop
(counted) and resume at a keyframe when their output falls behind, without holding back the
encoder or another feed."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import numpy as np

from studio.core.frames import FrameFlow
from studio.core.shared_encoder import (
    EncodedPacket,
    EncoderPool,
    EncodeSetting,
    PacketFeed,
    SharedEncoder,
    letterbox,
)
from studio.core.sources import SampleSource

SMALL = EncodeSetting(320, 180, 300, preset="ultrafast")


def frame(keyframe: bool = False, video: bool = True) -> EncodedPacket:
    return EncodedPacket(video, b"x", 0, 0, Fraction(1, 90000), keyframe)


def test_a_feed_that_falls_behind_drops_counts_and_resumes_at_a_keyframe() -> None:
    flow = FrameFlow(SampleSource(320, 180))  # not started: nothing is encoded here
    encoder = SharedEncoder(flow, SMALL, None)
    slow, fast = PacketFeed(encoder, capacity=3), PacketFeed(encoder, capacity=100)
    offered = [frame(keyframe=True), frame(), frame(video=False), frame(), frame(), frame()]
    for packet in offered:
        for feed in (slow, fast):
            feed.offer(packet)
    # The slow feed filled up on the 4th packet: its 2 queued frames, that one and the
    # 2 after it (waiting for a keyframe) are lost; the fast feed has everything.
    assert slow.dropped_frames == 5 and slow.take(0) is None
    assert [fast.take(0) for _ in offered] == offered and fast.dropped_frames == 0
    slow.offer(key := frame(keyframe=True))
    assert slow.take(0) is key and slow.dropped_frames == 5
    # A restart (a reconnection) skips to the next keyframe without counting losses.
    slow.offer(frame())
    slow.restart()
    slow.offer(frame())
    assert slow.take(0) is None and slow.dropped_frames == 5


async def test_the_pool_shares_an_encoder_per_setting_and_stops_it_with_its_last_feed() -> None:
    flow = FrameFlow(SampleSource(320, 180, fps=30.0))
    flow.start()
    pool = EncoderPool(lambda: flow, lambda: None)
    try:
        one, two = pool.subscribe(SMALL), pool.subscribe(SMALL)
        other = pool.subscribe(EncodeSetting(180, 320, 300, preset="ultrafast"))
        assert one.encoder is two.encoder and other.encoder is not one.encoder
        assert len(pool.encoders) == 2
        packets = [await asyncio.to_thread(one.take, 5.0) for _ in range(3)]
        assert packets[0] is not None and packets[0].keyframe  # a feed starts at a keyframe
        await pool.unsubscribe(one)
        assert len(pool.encoders) == 2 and one.encoder.subscribers == 1
        await pool.unsubscribe(two)
        await pool.unsubscribe(other)
        assert pool.encoders == {}
    finally:
        await pool.close()
        flow.stop()


def test_a_picture_of_another_shape_is_letterboxed_whole() -> None:
    wide = np.full((180, 320, 3), 200, np.uint8)
    tall = letterbox(wide, 180, 320)  # the vertical canvas
    assert tall.shape == (320, 180, 3)
    rows = np.flatnonzero(tall[:, 90, 0] > 100)
    assert (rows[0], rows[-1] + 1) == (109, 210)  # 180x101 in the middle, black above/below
    assert letterbox(wide, 320, 180) is wide
