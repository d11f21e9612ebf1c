"""A minimal WebSocket viewer for the fan-out benchmark: asyncio protocol, no framing library,
so 1,000 of them in one process cost little and the arrival time is taken on the first byte."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
from typing import cast


def client_frame(text: str) -> bytes:
    """A masked text frame, as RFC 6455 requires from clients."""
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, 0x80 | length)
    else:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
    return header + mask + masked


class Round:
    """One broadcast being timed: when each viewer got its first byte; done once all have.

    One shared future instead of a waiter per viewer keeps the client's own cost per viewer
    down to a list append (it shares the 2 cores with the server it measures)."""

    def __init__(self, viewers: list[ViewerProtocol]) -> None:
        self.arrivals: list[float] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.expected = len(viewers)
        for viewer in viewers:
            viewer.round = self

    def arrived(self, at: float) -> None:
        self.arrivals.append(at)
        if len(self.arrivals) == self.expected:
            self.done.set_result(None)


class ViewerProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = asyncio.get_running_loop().create_future()
        self.got_message = asyncio.Event()
        self.round: Round | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if not self.upgraded.done():
            self.buffer += data
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            self.upgraded.set_result(head.startswith(b"HTTP/1.1 101"))
            self.buffer = b""
            if not rest:
                return
        if self.round is not None:
            self.round.arrived(time.perf_counter())
            self.round = None
        self.got_message.set()

    def expect_next(self) -> None:
        self.got_message.clear()

    def send(self, event: str, data: dict[str, object]) -> None:
        assert self.transport is not None
        self.transport.write(client_frame(json.dumps({"event": event, "data": data})))


async def connect_viewer(host: str, port: int, token: str) -> ViewerProtocol:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(ViewerProtocol, host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws?token={token} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert protocol.transport is not None
    protocol.transport.write(request.encode())
    if not await protocol.upgraded:
        raise RuntimeError("WebSocket upgrade refused")
    return protocol
