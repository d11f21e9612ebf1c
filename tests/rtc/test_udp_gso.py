"""Several datagrams in one system call (UDP GSO) arrive as the same separate datagrams; where
GSO is refused or unavailable they go one by one through the transport, in order."""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
from typing import Any

import pytest

from rtc import udp_gso
from rtc.udp_gso import MAX_BYTES, MAX_SEGMENTS, DatagramSender, segment_runs


def _sizes(runs: list[Any]) -> list[list[int]]:
    return [[len(datagram) for datagram in run] for run in runs]


def test_runs_are_equal_sizes_ending_with_at_most_one_shorter_datagram() -> None:
    sizes = [1200, 1200, 1200, 700, 1200, 1300, 1300, 1300, 100, 100]
    runs = segment_runs([bytes(size) for size in sizes])
    assert _sizes(runs) == [[1200, 1200, 1200, 700], [1200], [1300, 1300, 1300, 100], [100]]


def test_runs_keep_within_the_kernels_segment_and_byte_limits() -> None:
    many = segment_runs([bytes(10)] * (MAX_SEGMENTS * 2 + 1))
    assert [len(run) for run in many] == [MAX_SEGMENTS, MAX_SEGMENTS, 1]
    big = segment_runs([bytes(1400)] * 100)
    assert all(sum(map(len, run)) <= MAX_BYTES for run in big)
    assert sum(len(run) for run in big) == 100


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.datagrams: list[bytes] = []
        self.arrived = asyncio.Event()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.datagrams.append(data)
        self.arrived.set()

    async def wait_for(self, count: int) -> list[bytes]:
        while len(self.datagrams) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 5)
        return self.datagrams


def _frame(first: int = 0) -> list[bytes]:
    """A frame's packets: equal sizes but the last, each one distinct."""
    return [bytes([first + index]) * (1240 if index < 4 else 333) for index in range(5)]


@pytest.mark.skipif(sys.platform != "linux", reason="UDP GSO is Linux-only")
async def test_a_gso_send_arrives_as_the_same_separate_datagrams_in_order() -> None:
    loop = asyncio.get_running_loop()
    receiver = _Receiver()
    server, _ = await loop.create_datagram_endpoint(lambda: receiver, ("127.0.0.1", 0))
    client, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, ("127.0.0.1", 0))
    address = server.get_extra_info("sockname")
    sender = DatagramSender()
    sent: list[bytes] = []
    try:
        for number in range(3):
            frame = _frame(10 * number)
            sender.send(client, frame, address)
            sent += frame
        assert await receiver.wait_for(len(sent)) == sent
        assert sender._socket is not None  # loopback took GSO: it was not switched off
    finally:
        sender.close()
        client.close()
        server.close()


class _Socket:
    family = socket.AF_INET
    type = socket.SOCK_DGRAM

    def __init__(self, refusal: OSError | None) -> None:
        self.refusal = refusal
        self.sent: list[tuple[bytes, int]] = []
        self.closed = False

    def dup(self) -> _Socket:
        return self

    def setblocking(self, flag: bool) -> None:
        assert not flag

    def sendmsg(self, buffers: list[bytes], ancillary: Any, flags: int, address: Any) -> int:
        if self.refusal is not None:
            raise self.refusal
        [(level, kind, segment)] = ancillary
        assert (level, kind) == (udp_gso.SOL_UDP, udp_gso.UDP_SEGMENT)
        self.sent.append((b"".join(buffers), int.from_bytes(segment, sys.byteorder)))
        return len(self.sent[-1][0])

    def close(self) -> None:
        self.closed = True


class _Transport(asyncio.DatagramTransport, asyncio.WriteTransport):  # as asyncio's own are
    def __init__(self, sock: _Socket | None, buffered: int = 0) -> None:
        super().__init__()
        self.sock = sock
        self.buffered = buffered
        self.sent: list[bytes] = []
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.sock if name == "socket" else default

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def is_closing(self) -> bool:
        return self.closing

    def sendto(self, data: Any, addr: Any = None) -> None:
        self.sent.append(data)


@pytest.fixture
def linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(udp_gso.sys, "platform", "linux")


@pytest.mark.usefixtures("linux")
def test_a_frame_goes_as_one_gso_send_of_its_packets() -> None:
    sock = _Socket(None)
    sender = DatagramSender()
    sender.send(_Transport(sock), _frame(), ("10.0.0.1", 5000))
    assert sock.sent == [(b"".join(_frame()), 1240)]


@pytest.mark.usefixtures("linux")
def test_a_socket_that_refuses_gso_sends_one_by_one_from_then_on() -> None:
    sock = _Socket(OSError(errno.EIO, "no checksum offload"))
    transport = _Transport(sock)
    sender = DatagramSender()
    sender.send(transport, _frame(), ("10.0.0.1", 5000))
    sock.refusal = None  # not asked again even if it would accept now
    sender.send(transport, _frame(20), ("10.0.0.1", 5000))
    assert transport.sent == _frame() + _frame(20)
    assert sock.sent == []
    assert sock.closed


@pytest.mark.usefixtures("linux")
def test_a_full_socket_leaves_the_frame_to_the_transports_buffer_and_gso_stays_on() -> None:
    sock = _Socket(BlockingIOError(errno.EAGAIN, "full"))
    transport = _Transport(sock)
    sender = DatagramSender()
    sender.send(transport, _frame(), ("10.0.0.1", 5000))
    assert transport.sent == _frame()
    sock.refusal = None
    transport.buffered = 5000  # the transport still holds datagrams: they go first
    sender.send(transport, _frame(20), ("10.0.0.1", 5000))
    assert transport.sent == _frame() + _frame(20)
    transport.buffered = 0
    sender.send(transport, _frame(40), ("10.0.0.1", 5000))
    assert sock.sent == [(b"".join(_frame(40)), 1240)]
    assert not sock.closed


@pytest.mark.usefixtures("linux")
def test_single_datagrams_and_socketless_transports_use_plain_sends() -> None:
    sock = _Socket(None)
    with_socket = _Transport(sock)
    relayed = _Transport(None)  # a TURN relay has no socket of its own
    sender, relay_sender = DatagramSender(), DatagramSender()
    sender.send(with_socket, [b"opus"], ("10.0.0.1", 5000))
    relay_sender.send(relayed, _frame(), ("10.0.0.1", 5000))
    assert with_socket.sent == [b"opus"] and sock.sent == []
    assert relayed.sent == _frame()


@pytest.mark.usefixtures("linux")
def test_the_duplicate_socket_is_released_on_close_and_when_the_transport_closes() -> None:
    first, second = _Socket(None), _Socket(None)
    sender = DatagramSender()
    sender.send(_Transport(first), _frame(), ("10.0.0.1", 5000))
    closing = _Transport(second)
    sender.send(closing, _frame(), ("10.0.0.1", 5000))  # another ICE pair, another socket
    assert first.closed and not second.closed
    closing.closing = True
    sender.send(closing, _frame(), ("10.0.0.1", 5000))
    assert second.closed
    assert closing.sent == _frame()
    third = _Socket(None)
    sender.send(_Transport(third), _frame(), ("10.0.0.1", 5000))
    sender.close()
    assert third.closed
