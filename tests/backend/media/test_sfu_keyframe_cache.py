"""A new subscriber starts from the stream's latest keyframe instead of waiting for the
publisher to answer its keyframe request, and never gets a frame it could not decode."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from fractions import Fraction

import av
import httpx
import numpy as np
import pytest
from aiortc import MediaStreamTrack
from aiortc.codecs.vpx import VpxPayloadDescriptor

from backend.media.codecs import is_keyframe
from backend.media.sfu import Fanout, ForwardedTrack
from bench.media import ReplayTrack, replay_publish
from rtc import aiortc_hooks
from studio.core.encoder import VideoEncoder
from studio.core.subscriber import WhepPlayer
from tests.backend.api_helpers import register
from tests.helpers_media import loopback_ice  # noqa: F401
from tests.servers import LiveServer

VP8 = "video/VP8"


def _encoded(count: int, keyframes: tuple[int, ...] = (0,)) -> list[bytes]:
    """``count`` 160x120 VP8 frames of a picture that changes every frame, keyframes only at
    ``keyframes``."""
    encoder = VideoEncoder("vp8")
    image = np.zeros((120, 160, 3), np.uint8)
    frames = []
    for index in range(count):
        image[:, :, 1] = (index * 37) % 256
        image[index % 120, :, 2] = 255
        packet = encoder.encode(image, index * 3000, 300_000, 30.0, index in keyframes)
        assert packet is not None
        frames.append(bytes(packet))
    assert [is_keyframe(VP8, memoryview(f)) for f in frames].count(True) == len(keyframes)
    return frames


class Source(MediaStreamTrack):
    """A publisher's track on the SFU's side: yields the frames put into it, as ``av.Packet``."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.frames: asyncio.Queue[av.Packet] = asyncio.Queue()
        self.sent = 0

    def put(self, data: bytes) -> None:
        packet = av.Packet(data)
        packet.pts = self.sent * 3000
        packet.time_base = Fraction(1, 90000)
        self.sent += 1
        self.frames.put_nowait(packet)

    async def recv(self) -> av.Packet:
        return await self.frames.get()


class Forwarding:
    """A video fanout forwarding from a :class:`Source` that never answers a keyframe request
    (each request is noted)."""

    def __init__(self) -> None:
        self.fanout = Fanout("video")
        self.requests: list[str] = []
        self.source = self.new_source()

    def new_source(self) -> Source:
        self.source = Source()
        self.fanout.attach(self.source, VP8, self._request)
        return self.source

    async def _request(self) -> None:
        self.requests.append("PLI")

    async def feed(self, frames: list[bytes]) -> None:
        """Forward ``frames`` and wait until the fanout has."""
        before = self.fanout.packets_in
        for data in frames:
            self.source.put(data)
        while self.fanout.packets_in < before + len(frames):
            await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def forwarding() -> AsyncIterator[Forwarding]:
    forwarding = Forwarding()
    try:
        yield forwarding
    finally:
        await forwarding.fanout.close()


def sent_to(track: ForwardedTrack) -> list[av.Packet]:
    sent: list[av.Packet] = []
    track.send_with(sent.append)
    return sent


def picture_ids_sent_to(track: ForwardedTrack) -> list[int | None]:
    """The VP8 picture ids of what ``track`` sends, packetised as its sender does."""
    ids: list[int | None] = []
    track.send_with(lambda packet: ids.append(picture_id(track.pack(packet)[0][0])))
    return ids


async def test_a_late_subscriber_starts_with_the_latest_keyframe_stamped_as_the_newest_frame() -> (
    None
):
    frames = _encoded(12, keyframes=(0, 8))
    async with forwarding() as stream:
        await stream.feed(frames[:5])
        track = stream.fanout.subscribe()
        sent = sent_to(track)
        assert [bytes(p) for p in sent] == [frames[0]]
        assert sent[0].pts == 4 * 3000  # the newest frame's time: no jump back for the player
        await stream.feed(frames[5:])  # deltas on top of frames it never got: left out
        assert [bytes(p) for p in sent] == [frames[0], *frames[8:]]
        assert track.dropped == 3


async def test_a_subscriber_joining_before_any_keyframe_waits_for_one() -> None:
    frames = _encoded(4, keyframes=(0, 2))
    async with forwarding() as stream:
        await stream.feed(frames[1:2])  # a delta: nothing to start from yet
        sent = sent_to(stream.fanout.subscribe())
        await stream.feed(frames[2:])
        assert [bytes(p) for p in sent] == frames[2:]


async def test_a_keyframe_replaces_what_waits_for_the_viewer_s_connection() -> None:
    frames = _encoded(5, keyframes=(0, 3))
    async with forwarding() as stream:
        track = stream.fanout.subscribe()
        await stream.feed(frames)  # all before the viewer's connection is up
        assert [bytes(p) for p in sent_to(track)] == frames[3:]
        assert track.dropped == 3


async def test_the_cached_keyframe_leaves_the_other_subscribers_picture_ids_consecutive() -> None:
    frames = _encoded(6)
    async with forwarding() as stream:
        ids = picture_ids_sent_to(stream.fanout.subscribe())
        await stream.feed(frames[:3])
        late_ids = picture_ids_sent_to(stream.fanout.subscribe())
        await stream.feed(frames[3:])
        start = ids[0]
        assert start is not None
        assert ids == [(start + step) % (1 << 15) for step in range(6)]
        assert len(late_ids) == 1


async def test_a_new_publisher_s_subscribers_never_get_the_old_one_s_keyframe() -> None:
    frames = _encoded(3)
    async with forwarding() as stream:
        await stream.feed(frames)
        stream.new_source()  # the studio reconnected
        assert sent_to(stream.fanout.subscribe()) == []


def picture_id(payload: bytes) -> int | None:
    return VpxPayloadDescriptor.parse(payload)[0].picture_id


# ---- over the network: a WHEP viewer of a publisher that ignores keyframe requests ----------
class OneKeyframePublisher(ReplayTrack):
    """Sends its pre-encoded frames once, then nothing: it never answers a keyframe request
    (aiortc sends an ``av.Packet`` as it is), so a viewer's only keyframe is the first."""

    async def recv(self) -> av.Packet:
        if self.sent == len(self.packets):
            await asyncio.Event().wait()
        return await super().recv()


@pytest.mark.usefixtures("loopback_ice")
async def test_a_new_aiortc_viewer_gets_a_keyframe_first_without_the_publisher(
    server: LiveServer,
) -> None:
    frames = _encoded(45)
    async with httpx.AsyncClient(base_url=server.url) as client:
        streamer = await register(client)
    source = OneKeyframePublisher(frames)
    url = f"{server.url}/whip/{streamer.username}"
    publisher = await replay_publish(url, streamer.token, source)
    player = WhepPlayer(
        f"{server.url}/whep/{streamer.username}", token=streamer.token, kinds=("video",)
    )
    try:
        while source.sent < 20:  # well past the only keyframe
            await asyncio.sleep(0.05)

        @player.pc.on("track")
        def encoded(track: MediaStreamTrack) -> None:
            aiortc_hooks.receive_encoded(track)

        await player.start()
        assert player.video is not None
        first = await asyncio.wait_for(player.video.recv(), 20)
        assert bytes(first) == frames[0]
        decoder = av.CodecContext.create("vp8", "r")
        [picture] = decoder.decode(av.Packet(bytes(first)))
        assert (picture.width, picture.height) == (160, 120)
        media = server.app.state.media
        fanout = media.streams[streamer.username].fanouts["video"]
        [session] = [s for s in media.sessions.values() if s.kind == "egress"]
        [track] = session.tracks
        while fanout.packets_in < len(frames):
            await asyncio.sleep(0.05)
        assert track.forwarded == 1  # the deltas it could not decode were never sent
        assert track.dropped > 0
    finally:
        await player.stop()
        await publisher.close()
