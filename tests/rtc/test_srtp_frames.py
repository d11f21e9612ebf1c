"""A frame's packets protected back to back in one buffer are the bytes pylibsrtp's own
``Session.protect`` gives, packet for packet."""

from __future__ import annotations

import os
import struct
import threading

import pytest
from pylibsrtp import Error, Policy, Session

from rtc.srtp_frames import FrameProtector, FrameTooLarge, has_session_handle, shared

KEY = os.urandom(28)
HEADER = struct.Struct("!BBHLL")


def _session() -> Session:
    policy = Policy(
        key=KEY,
        ssrc_type=Policy.SSRC_ANY_OUTBOUND,
        srtp_profile=Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    )
    return Session(policy)


def _frame(first_sequence: int, sizes: list[int]) -> list[bytes]:
    return [
        HEADER.pack(0x80, 96, first_sequence + index, 9000, 1234) + os.urandom(size)
        for index, size in enumerate(sizes)
    ]


def test_packets_are_protected_exactly_as_pylibsrtp_does_it() -> None:
    stock, ours, protector = _session(), _session(), FrameProtector()
    for number, sizes in enumerate([[1180, 1180, 700], [300], [1180] * 40 + [5]]):
        packets = _frame(number * 100, sizes)
        expected = [stock.protect(packet) for packet in packets]
        assert [bytes(view) for view in protector.protect(ours, packets)] == expected


def test_a_frame_larger_than_the_buffer_is_refused() -> None:
    with pytest.raises(FrameTooLarge):
        FrameProtector(capacity=3000).protect(_session(), _frame(0, [1180, 1180, 1180]))


def test_libsrtps_refusal_is_an_error_as_with_pylibsrtp() -> None:
    session, protector = _session(), FrameProtector()
    packets = _frame(7, [500])
    protector.protect(session, packets)
    with pytest.raises(Error):
        protector.protect(session, packets)  # the same sequence number again: a replay


def test_sessions_keep_the_handle_the_protector_reads() -> None:
    assert has_session_handle(_session())
    assert not has_session_handle(object())  # type: ignore[arg-type]


def test_each_thread_has_a_protector_of_its_own() -> None:
    elsewhere: list[FrameProtector] = []
    thread = threading.Thread(target=lambda: elsewhere.append(shared()))
    thread.start()
    thread.join()
    assert shared() is shared()
    assert elsewhere[0] is not shared()
