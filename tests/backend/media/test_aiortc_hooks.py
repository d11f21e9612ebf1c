"""The private aiortc internals packet forwarding relies on are still there (fails loudly)."""

from __future__ import annotations

import aiortc
import pytest
from aiortc import rtcrtpreceiver

from backend.media import aiortc_hooks
from studio.core import rtc_hooks


def test_aiortc_still_has_what_forwarding_needs() -> None:
    aiortc_hooks.check_compatible()
    rtc_hooks.check_compatible()


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
