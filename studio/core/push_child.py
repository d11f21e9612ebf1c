"""The push process: one per RTMP(S)/SRT destination, so no server can stall the studio.

PyAV opens a network output with ``avio_open``: no timeout, no interrupt, and the GIL held. In
the studio's own interpreter a server that answers the TCP (or even the RTMP) handshake and
then goes quiet would freeze everything: the window, the encoders, the WHIP stream. So each
destination's connection lives in a process of its own running :func:`main` (``python -m
studio.core.push_child``, or ``onair push`` in the bundle), which the studio
(:class:`studio.core.push_process.PushProcess`) kills whenever it must.

What the studio writes to the process's standard input:

1. one JSON line, ``{"url": ..., "format": "flv"}``: the stream key is in the URL, so it never
   appears on a command line (which every user of the machine can read);
2. the streams' codec parameters: the length (:data:`LENGTH`) and bytes of a fragmented-MP4
   header of the shared encode's streams (no packets), from which the process makes its own;
3. packets, each a :data:`FRAME` header and the packet's bytes, until the end of the input,
   when the process finishes the stream (FLV trailer, RTMP goodbye) and exits.

What the process answers on its standard output, one JSON line each: ``{"live": true}`` once
the server accepted the stream; ``{"error": ..., "serverSaid": ..., "errno": ...}`` when the
connection failed or broke. FFmpeg's other messages and any Python error go to standard error,
which the studio turns into the status line when the process ends without saying why.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import struct
import sys
from dataclasses import dataclass
from fractions import Fraction
from typing import IO, Any, Final

import av

from studio.core.child_process import die_with_parent
from studio.core.muxer import EncodedPacket, Muxer, MuxError, StreamTemplates

FRAME: Final = struct.Struct("<??qqIII")  # video, keyframe, pts, dts, time base n/d, size
LENGTH: Final = struct.Struct("<I")
HEADER_FORMAT: Final = "mp4"
HEADER_OPTIONS: Final = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}


# ---- the studio's side of the pipe -----------------------------------------------------
class _Unseekable(io.BytesIO):
    """Memory the muxer writes straight through, as to a pipe (it cannot seek back)."""

    def seekable(self) -> bool:
        return False


def setup_message(url: str, format_name: str, templates: StreamTemplates) -> bytes:
    """What tells a new push process where to push and what (sent before any packet)."""
    header = _Unseekable()
    Muxer(header, HEADER_FORMAT, templates, HEADER_OPTIONS).close()
    blob = header.getvalue()
    where = json.dumps({"url": url, "format": format_name}).encode()
    return where + b"\n" + LENGTH.pack(len(blob)) + blob


def write_packet(pipe: IO[bytes], packet: EncodedPacket) -> None:
    base = packet.time_base
    head = FRAME.pack(
        packet.video,
        packet.keyframe,
        packet.pts,
        packet.dts,
        base.numerator,
        base.denominator,
        len(packet.data),
    )
    pipe.write(head + packet.data)
    pipe.flush()


# ---- the process's side -----------------------------------------------------------------
@dataclass(frozen=True)
class Setup:
    url: str
    format: str
    header: bytes


@dataclass(frozen=True)
class Templates:
    """The encode's streams as the header describes them (the muxer copies their parameters)."""

    video_stream: av.VideoStream
    audio_stream: av.AudioStream | None


def read_setup(pipe: IO[bytes]) -> Setup:
    """The setup :func:`setup_message` made (EOFError if the input ends before it)."""
    line = pipe.readline()
    if not line.endswith(b"\n"):
        raise EOFError("the studio closed the pipe before saying where to push")
    where = json.loads(line)
    size = LENGTH.unpack(_read_exactly(pipe, LENGTH.size))[0]
    return Setup(str(where["url"]), str(where["format"]), _read_exactly(pipe, size))


def open_templates(header: bytes) -> Templates:
    container = av.open(io.BytesIO(header), format=HEADER_FORMAT)
    video = container.streams.video[0]
    audio = container.streams.audio[0] if container.streams.audio else None
    return Templates(video, audio)


def read_packet(pipe: IO[bytes]) -> EncodedPacket | None:
    """The next packet; None at the end of the input."""
    head = pipe.read(FRAME.size)
    if len(head) < FRAME.size:
        return None
    video, keyframe, pts, dts, num, den, size = FRAME.unpack(head)
    data = _read_exactly(pipe, size)
    return EncodedPacket(video, data, pts, dts, Fraction(num, den), keyframe)


def _read_exactly(pipe: IO[bytes], size: int) -> bytes:
    data = pipe.read(size)
    if len(data) < size:
        raise EOFError("the studio closed the pipe in the middle of a message")
    return data


def _say(**news: Any) -> None:
    sys.stdout.write(json.dumps(news) + "\n")
    sys.stdout.flush()


def _say_failed(exc: MuxError) -> None:
    _say(error=str(exc), serverSaid=exc.server_said, errno=exc.errno)


def push(stdin: IO[bytes]) -> int:
    """Connect, say so, and mux what arrives until the input ends; the exit status."""
    setup = read_setup(stdin)
    try:
        muxer = Muxer(setup.url, setup.format, open_templates(setup.header))
    except MuxError as exc:
        _say_failed(exc)
        return 1
    _say(live=True)
    try:
        while (packet := read_packet(stdin)) is not None:
            muxer.write(packet)
        muxer.close()
    except MuxError as exc:
        muxer.abandon()
        _say_failed(exc)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """``push_child PARENT_PID``: the process the studio starts for one destination."""
    args = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the studio
    if args:  # even while stuck connecting, when FFmpeg holds the GIL and nothing could notice
        die_with_parent(int(args[0]))
    with contextlib.suppress(EOFError):
        return push(sys.stdin.buffer)
    return 1


if __name__ == "__main__":
    sys.exit(main())
