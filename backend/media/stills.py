"""A recent picture of each live stream for the home page, taken from the stream itself.

The SFU forwards encoded frames without decoding them; for a still, one more subscriber of a
live stream's video looks at the frames going by and, every ``interval`` seconds, decodes one
keyframe (a keyframe decodes on its own) into a small JPEG, off the event loop. It asks the
publisher for a keyframe each interval, since an encoder may send one only when asked. Any
publisher works (the studio, OBS, FFmpeg), with nothing uploaded by the client.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable

import av

from backend.media.codecs import is_keyframe
from backend.media.server import Stream
from backend.media.sfu import Fanout, ForwardedTrack

log = logging.getLogger(__name__)

INTERVAL = 10.0  # seconds between stills of a stream
WIDTH = 480  # pixels: a home page card at twice its CSS size
DECODERS = {"video/vp8": "vp8", "video/h264": "h264"}


def jpeg_of_keyframe(mime_type: str, data: bytes, width: int = WIDTH) -> bytes | None:
    """A JPEG ``width`` pixels wide of one encoded keyframe (None if it does not decode)."""
    name = DECODERS.get(mime_type.lower())
    if name is None:
        return None
    codec = av.CodecContext.create(name, "r")
    assert isinstance(codec, av.VideoCodecContext)
    try:
        frames = [*codec.decode(av.Packet(data)), *codec.decode(None)]
    except av.FFmpegError:
        return None
    if not frames:
        return None
    image = frames[-1].to_image()
    image.thumbnail((width, width * 4))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75, optimize=True)
    return out.getvalue()


class StillTaker:
    """Takes stills of one stream while it is live."""

    def __init__(
        self,
        fanout: Fanout,
        interval: float,
        keep: dict[str, bytes],
        name: str,
        first_taken: Callable[[str], object] | None = None,
    ):
        self.fanout = fanout
        self.interval = interval
        self.keep = keep
        self.name = name
        self.first_taken = first_taken  # told of this live's first still
        self.track: ForwardedTrack = fanout.subscribe()
        self._wanted = True  # the next keyframe is decoded
        self._decoding: asyncio.Future[bytes | None] | None = None
        self._asking = asyncio.ensure_future(self._ask_for_keyframes())
        self.track.send_with(self._frame)

    def _frame(self, frame: av.Packet) -> None:
        if not self._wanted or self._decoding is not None:
            return
        data = bytes(frame)
        if not is_keyframe(self.fanout.mime_type, memoryview(data)):
            return
        self._wanted = False
        loop = asyncio.get_running_loop()
        self._decoding = loop.run_in_executor(
            None, jpeg_of_keyframe, self.fanout.mime_type, data, WIDTH
        )
        self._decoding.add_done_callback(self._decoded)

    def _decoded(self, done: asyncio.Future[bytes | None]) -> None:
        self._decoding = None
        if done.cancelled() or self.track.readyState == "ended":
            return
        if done.exception() is not None:
            log.warning("a still of %s failed: %s", self.name, done.exception())
            return
        image = done.result()
        if image is not None:
            first = self.name not in self.keep
            self.keep[self.name] = image
            if first and self.first_taken is not None:
                self.first_taken(self.name)
        else:
            self._wanted = True  # try the next keyframe

    async def _ask_for_keyframes(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._wanted = True
            self.fanout.request_keyframe()

    def stop(self) -> None:
        self._asking.cancel()
        self.track.stop()


class Stills:
    """The latest still of every live stream this backend's media server has."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self._takers: dict[str, StillTaker] = {}
        self._images: dict[str, bytes] = {}
        self.first_taken: Callable[[str], object] | None = None  # told of a live's first still

    def started(self, stream: Stream) -> None:
        taker = self._takers.get(stream.name)
        if taker is not None and taker.fanout is stream.fanouts["video"]:
            return
        self.ended(stream.name)
        self._takers[stream.name] = StillTaker(
            stream.fanouts["video"], self.interval, self._images, stream.name, self.first_taken
        )

    def ended(self, name: str) -> None:
        taker = self._takers.pop(name, None)
        if taker is not None:
            taker.stop()
        self._images.pop(name, None)

    def image(self, name: str) -> bytes | None:
        return self._images.get(name)

    def track(self, name: str) -> ForwardedTrack | None:
        """The subscriber taking stills of ``name`` (one of its video fanout's subscribers)."""
        taker = self._takers.get(name)
        return taker.track if taker is not None else None

    def close(self) -> None:
        for name in list(self._takers):
            self.ended(name)
