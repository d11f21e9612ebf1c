"""Outputs: what consumes the broadcast's program frames.

The program is the newest finished frame (:class:`studio.core.frames.FrameFlow` today: one
source through the effect chain; a scene compositor later). Every output reads it at its own
pace and never holds the others back: the WHIP publisher is one output; a recorder or an RTMP
push is another, added to :class:`studio.core.broadcast.Broadcast` with ``add_output``.
Outputs that need H.264 + AAC packets (:class:`studio.core.stream_output.StreamOutput`,
:class:`studio.core.recorder.Recorder`) subscribe to the broadcast's
:class:`studio.core.shared_encoder.EncoderPool`, so one encode per setting serves them all;
:class:`studio.core.output_deck.OutputDeck` manages them for the studio.
"""

from __future__ import annotations

from typing import Protocol

from studio.core.publisher import PublisherState

OutputState = PublisherState
"""idle, connecting, live, reconnecting, stopped, failed: the same for every kind of output."""


class Output(Protocol):
    """A consumer of the program: started and stopped by the broadcast, watched through
    ``state``."""

    @property
    def state(self) -> OutputState: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
