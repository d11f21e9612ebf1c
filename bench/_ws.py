"""A minimal WebSocket viewer for the fan-out benchmark: asyncio protocol, no framing library,
so 1,000 of them in one process cost little and the arrival time is taken on the first byte."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
from typing import TypeVar, cast

import httpx


async def ws_ticket(ws_url: str, token: str, http: httpx.AsyncClient | None = None) -> str:
    """A single-use ticket for ``/ws`` (``ws_url``), from POST /api/ws-ticket with ``token``.
    Pass ``http`` (a client of the same backend) when minting many: a client per ticket costs
    more than the request, enough to make a thousand viewers slower to connect than the
    server's ping timeout."""
    url = ws_url.replace("ws", "http", 1).removesuffix("/ws") + "/api/ws-ticket"
    headers = {"Authorization": f"Bearer {token}"}
    if http is None:
        async with httpx.AsyncClient(timeout=30) as own:
            response = await own.post(url, headers=headers)
    else:
        response = await http.post(url, headers=headers)
    response.raise_for_status()
    return str(response.json()["data"]["ticket"])


async def ticketed(ws_url: str, token: str) -> str:
    """``ws_url`` with a fresh ticket for ``token``: what a client opens."""
    return f"{ws_url}?ticket={await ws_ticket(ws_url, token)}"


TEXT, PING, PONG = 0x1, 0x9, 0xA


def client_frame(text: str, opcode: int = TEXT) -> bytes:
    """A masked frame (text, or a pong's payload), as RFC 6455 requires from clients."""
    payload = text.encode("latin-1" if opcode == PONG else "utf-8")
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    else:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    return header + mask + masked


Viewer = TypeVar("Viewer", bound="ViewerProtocol")


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
        at = time.perf_counter()  # before anything else this process does with the bytes
        if not self.upgraded.done():
            self.buffer += data
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            self.upgraded.set_result(head.startswith(b"HTTP/1.1 101"))
            self.buffer = b""
            if not rest:
                return
            data = rest
        self.received(data, at)

    def received(self, data: bytes, at: float) -> None:
        """Bytes after the upgrade, which arrived at ``at`` (perf_counter)."""
        data = self._answer_pings(data)
        if not data:
            return
        if self.round is not None:
            self.round.arrived(at)
            self.round = None
        self.got_message.set()

    def _answer_pings(self, data: bytes) -> bytes:
        """Pong the server's pings at the head of ``data`` (viewers that take minutes to
        connect, minting tickets one by one, stay connected); the rest is a message."""
        while len(data) >= 2 and data[0] == 0x80 | PING and data[1] < 126:
            end = 2 + data[1]
            self.pong(data[2:end])
            data = data[end:]
        return data

    def expect_next(self) -> None:
        self.got_message.clear()

    def send(self, event: str, data: dict[str, object]) -> None:
        assert self.transport is not None
        self.transport.write(client_frame(json.dumps({"event": event, "data": data})))

    def pong(self, payload: bytes) -> None:
        assert self.transport is not None
        self.transport.write(client_frame(payload.decode("latin-1"), PONG))


class FrameReader:
    """Splits what a server sends into its WebSocket frames (unmasked, RFC 6455 5.2), across
    reads: a frame is returned by the ``feed`` that completes it."""

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """The (opcode, payload) of each frame ``data`` completes."""
        buffer = self.buffer + data if self.buffer else data
        frames, start = [], 0
        while len(buffer) - start >= 2:
            size, head = buffer[start + 1] & 0x7F, 2
            if size == 126:
                if len(buffer) - start < 4:
                    break
                size, head = struct.unpack_from("!H", buffer, start + 2)[0], 4
            elif size == 127:
                if len(buffer) - start < 10:
                    break
                size, head = struct.unpack_from("!Q", buffer, start + 2)[0], 10
            end = start + head + size
            if end > len(buffer):
                break
            frames.append((buffer[start] & 0x0F, buffer[start + head : end]))
            start = end
        self.buffer = buffer[start:]
        return frames


async def connect_viewer(
    host: str,
    port: int,
    token: str,
    http: httpx.AsyncClient | None = None,
    kind: type[Viewer] = ViewerProtocol,  # type: ignore[assignment]
) -> Viewer:
    ticket = await ws_ticket(f"ws://{host}:{port}/ws", token, http)
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(kind, host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws?ticket={ticket} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert protocol.transport is not None
    protocol.transport.write(request.encode())
    if not await protocol.upgraded:
        raise RuntimeError("WebSocket upgrade refused")
    return protocol


async def joined_viewer(
    url: httpx.URL,
    token: str,
    room: str,
    http: httpx.AsyncClient,
    kind: type[Viewer] = ViewerProtocol,  # type: ignore[assignment]
) -> Viewer:
    """A viewer of ``kind`` connected to ``url``'s /ws, greeted, and a member of ``room``."""
    protocol = await connect_viewer(url.host, url.port or 80, token, http, kind)
    await protocol.got_message.wait()  # hello
    protocol.expect_next()
    protocol.send("join", {"room": room})
    await protocol.got_message.wait()  # joined
    return protocol
