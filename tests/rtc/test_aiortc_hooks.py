"""The private aiortc internals packet forwarding relies on are still there (fails loudly)."""

from __future__ import annotations

import aiortc
import pytest
from aiortc import rtcrtpreceiver
from aiortc.rtp import RtpPacket

from rtc import aiortc_hooks


def test_aiortc_still_has_what_forwarding_needs() -> None:
    aiortc_hooks.check_compatible()


def test_install_replaces_the_decoder_worker_once() -> None:
    aiortc_hooks.install()
    aiortc_hooks.install()
    assert rtcrtpreceiver.decoder_worker is aiortc_hooks._worker
    assert aiortc_hooks._original_worker is not aiortc_hooks._worker


def test_a_changed_worker_signature_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def changed(loop: object, input_q: object, output_q: object) -> None: ...

    monkeypatch.setattr(aiortc_hooks, "_original_worker", changed)
    with pytest.raises(aiortc_hooks.AiortcChanged, match="decoder_worker"):
        aiortc_hooks.check_compatible()


def test_only_marked_tracks_skip_decoding() -> None:
    marked = rtcrtpreceiver.RemoteStreamTrack(kind="video")
    plain = rtcrtpreceiver.RemoteStreamTrack(kind="video")
    aiortc_hooks.receive_encoded(marked)
    assert marked._queue in aiortc_hooks._encoded_queues
    assert plain._queue not in aiortc_hooks._encoded_queues
    with pytest.raises(TypeError):
        aiortc_hooks.receive_encoded(aiortc.VideoStreamTrack())


def _rtp(seq: int, timestamp: int, marker: bool, data: bytes) -> RtpPacket:
    packet = RtpPacket(sequence_number=seq, timestamp=timestamp, marker=int(marker))
    packet._data = data  # type: ignore[attr-defined]  # what the receiver's depayloader sets
    return packet


def test_install_makes_receivers_use_the_prompt_jitter_buffer() -> None:
    aiortc_hooks.install()
    assert rtcrtpreceiver.JitterBuffer is aiortc_hooks.PromptJitterBuffer


def test_a_video_frame_is_released_by_its_marker_packet() -> None:
    buffer = aiortc_hooks.PromptJitterBuffer(capacity=128, is_video=True)
    assert buffer.add(_rtp(10, 3000, False, b"a")) == (False, None)
    _, frame = buffer.add(_rtp(11, 3000, True, b"b"))
    assert frame is not None
    assert (frame.data, frame.timestamp) == (b"ab", 3000)


def test_a_frame_with_a_gap_waits_for_the_missing_packet() -> None:
    buffer = aiortc_hooks.PromptJitterBuffer(capacity=128, is_video=True)
    buffer.add(_rtp(10, 3000, False, b"a"))
    assert buffer.add(_rtp(12, 3000, True, b"c")) == (False, None)
    _, frame = buffer.add(_rtp(11, 3000, False, b"b"))  # the retransmission fills the gap
    assert frame is not None
    assert frame.data == b"abc"


def test_without_a_marker_the_next_frame_completes_a_frame() -> None:
    buffer = aiortc_hooks.PromptJitterBuffer(capacity=128, is_video=True)
    buffer.add(_rtp(10, 3000, False, b"a"))
    _, frame = buffer.add(_rtp(11, 6000, False, b"b"))
    assert frame is not None
    assert (frame.data, frame.timestamp) == (b"a", 3000)


def test_audio_packets_are_released_at_once_and_in_order() -> None:
    buffer = aiortc_hooks.PromptJitterBuffer(capacity=16)
    _, first = buffer.add(_rtp(5, 960, False, b"x"))
    assert first is not None
    assert first.data == b"x"
    assert buffer.add(_rtp(7, 2880, False, b"z")) == (False, None)  # 6 is late: wait for it
    _, second = buffer.add(_rtp(6, 1920, False, b"y"))
    assert second is not None
    assert second.data == b"y"
