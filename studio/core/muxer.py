"""Writing a shared encode's packets into a container: an RTMP/SRT push or a file.

A :class:`Muxer` makes its streams from the encoder's (``add_stream_from_template``: the codec
parameters without a second encoder) and writes copies of the shared packets. It needs only
PyAV (no encoder, no numpy), so the push process (:mod:`studio.core.push_child`) imports it
cheaply. FFmpeg's own
words for a failure (``Server error: Already publishing``) are logged, not raised, so the
muxer captures FFmpeg's log on its thread and puts the last error line into the exception.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Protocol

import av
import av.logging


@dataclass(frozen=True)
class EncodedPacket:
    """One encoded packet, immutable so every feed can share it (muxers copy it)."""

    video: bool
    data: bytes
    pts: int
    dts: int
    time_base: Fraction
    keyframe: bool

    def to_av(self, stream: av.stream.Stream) -> av.Packet[av.stream.Stream]:
        packet = av.Packet(self.data)
        packet.pts, packet.dts = self.pts, self.dts
        packet.time_base = self.time_base
        packet.is_keyframe = self.keyframe
        packet.stream = stream
        return packet


class StreamTemplates(Protocol):
    """Where a muxer copies its streams' codec parameters from: a shared encoder's streams,
    or the push process's copy of them."""

    @property
    def video_stream(self) -> av.VideoStream: ...

    @property
    def audio_stream(self) -> av.AudioStream | None: ...


class MuxError(Exception):
    """Writing failed; ``server_said`` holds the remote end's words when FFmpeg logged any."""

    def __init__(self, message: str, *, server_said: str = "", errno: int | None = None):
        super().__init__(message)
        self.server_said = server_said
        self.errno = errno


@contextlib.contextmanager
def ffmpeg_words() -> Iterator[None]:
    """Turn FFmpeg errors raised inside the block into :class:`MuxError` carrying the last
    error FFmpeg logged on this thread (a server's refusal, for instance)."""
    level = av.logging.get_level()
    if level is None or level < av.logging.ERROR:  # FFmpeg's levels: lower is more severe
        av.logging.set_level(av.logging.ERROR)
    with av.logging.Capture(local=True) as logs:
        try:
            yield
        except (av.FFmpegError, OSError) as exc:
            said = _server_words(logs)
            raise MuxError(_describe(exc, said), server_said=said, errno=exc.errno) from exc


def _server_words(logs: list[tuple[int, str, str]]) -> str:
    lines = [message.strip() for level, _name, message in logs if level <= av.logging.ERROR]
    for line in reversed(lines):
        if line.lower().startswith("server error:"):
            return line.split(":", 1)[1].strip()
    return ""


def _describe(exc: BaseException, said: str) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return f"{text}: {said}" if said else str(text)


class Muxer:
    """One open container fed with ``encoder``'s packets (call from one thread only)."""

    def __init__(
        self,
        target: str | IO[bytes],
        format_name: str,
        encoder: StreamTemplates,
        options: dict[str, str] | None = None,
    ) -> None:
        with ffmpeg_words():
            self.container = av.open(target, "w", format=format_name, options=options or {})
            try:
                self.video = self.container.add_stream_from_template(encoder.video_stream)
                self.audio = (
                    self.container.add_stream_from_template(encoder.audio_stream)
                    if encoder.audio_stream is not None
                    else None
                )
                self.container.start_encoding()  # connects, for a network URL
            except BaseException:
                self.abandon()
                raise
        self.bytes_written = 0
        self.first_pts: float | None = None
        self.last_pts = 0.0

    def write(self, packet: EncodedPacket) -> None:
        stream = self.video if packet.video else self.audio
        if stream is None:
            return
        seconds = float(packet.pts * packet.time_base)
        if self.first_pts is None:
            self.first_pts = seconds
        self.last_pts = max(self.last_pts, seconds)
        with ffmpeg_words():
            self.container.mux_one(packet.to_av(stream))
        self.bytes_written += len(packet.data)

    @property
    def duration(self) -> float:
        """Seconds of media written."""
        return 0.0 if self.first_pts is None else self.last_pts - self.first_pts

    def close(self) -> None:
        """Finish the container (trailer, index); raises :class:`MuxError` if it cannot."""
        with ffmpeg_words():
            self.container.close()

    def abandon(self) -> None:
        """Close after a failure, ignoring what fails on the way (a dead connection)."""
        with contextlib.suppress(av.FFmpegError, OSError):
            self.container.close()
