"""The chat benchmark's probe viewer reads the hub's own frames: each chatter's message is timed
by the read that completed its frame, however the bytes are split, and nothing else is."""

from __future__ import annotations

import json
import struct

import pytest

from backend.realtime.hub import BATCH_SEPARATOR, Outgoing
from bench._ws import PING, PONG, TEXT, FrameReader
from bench.chat import Probe

pytestmark = pytest.mark.one_engine


def chat_message(text: str) -> str:
    data = {"id": "m1", "stream": "alice", "kind": "user", "text": text, "createdAt": "x"}
    return json.dumps({"event": "chat:message", "data": data}, separators=(",", ":"))


def batch(*texts: str) -> bytes:
    """What the hub writes to a socket for these events sent together."""
    return Outgoing(BATCH_SEPARATOR.join(texts)).frame


class Wire:
    """Stands in for the socket under the probe: keeps what it writes."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


@pytest.mark.parametrize("size", [10, 125, 126, 70_000])
def test_frames_of_every_length_come_out_whole_across_split_reads(size: int) -> None:
    text = "x" * size
    wire = batch(text, "y")
    reader = FrameReader()
    frames = [frame for cut in range(0, len(wire), 7) for frame in reader.feed(wire[cut : cut + 7])]
    assert frames == [(TEXT, text.encode()), (TEXT, b"y")]
    assert reader.buffer == b""


async def test_the_probe_times_each_chatters_message_by_the_read_that_completed_it() -> None:
    probe = Probe()
    wire = Wire()
    probe.transport = wire
    first, second = chat_message("t=100.000000 #0"), chat_message("t=100.500000 #1")
    bytes_ = batch(first, chat_message("someone joined"), second)
    cut = len(batch(first)) + 3  # the second message's frame ends in the next read
    probe.received(bytes_[:cut], at=101.0)
    probe.received(bytes_[cut:], at=102.0)
    assert probe.delays == [pytest.approx(1000.0), pytest.approx(1500.0)]
    assert probe.got_message.is_set()
    assert wire.written == []


async def test_the_probe_answers_a_ping_between_messages() -> None:
    probe = Probe()
    wire = Wire()
    probe.transport = wire
    ping = struct.pack("!BB", 0x80 | PING, 4) + b"abcd"
    probe.received(batch(chat_message("t=1.000000 #0")) + ping, at=1.25)
    assert probe.delays == [pytest.approx(250.0)]
    (pong,) = wire.written
    assert pong[0] == 0x80 | PONG
    mask, payload = pong[2:6], pong[6:]
    assert bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) == b"abcd"
