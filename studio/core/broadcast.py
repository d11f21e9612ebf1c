"""The broadcast engine: source → effects → program frames → outputs, and the co-host call.

One :class:`Broadcast` is the studio's media side. It owns the video source (switchable while
live), the frame flow that runs it through the effect chain off the event loop, the scenes
(once :meth:`use_scenes` is called: the program is then the scene on air, composed of the
camera, screen captures, images, text and media; camera layers show the effect chain's
frames), the voice
chain and the audio mixer (:attr:`Broadcast.mixer`: the voice and the media on air, mixed once
for every output), the outputs that consume the program frames (the WHIP publisher while
live; a recorder or an RTMP push are further outputs, which share one H.264 + AAC encode per
setting through :attr:`Broadcast.encoders`), and the co-host session's call. It has
no Qt: the desktop UI, the headless studio, ``onair selftest``, the benchmarks and the tests
construct and drive this same class, and watch it through its observer lists.

Commands: :meth:`open_source` / :meth:`use_source`, :meth:`use_scenes` (then
``scenes.switch(scene_id)`` cuts or fades to a scene, live or not), :meth:`go_live` / :meth:`end`,
:meth:`lower_output`, :meth:`join_call` / :meth:`leave_call`, :meth:`gift_received`,
:meth:`close`. News: ``source_changed``, ``source_failed``, ``status_changed``,
``live_changed``.

The network's quality level changes only what the publisher sends (its encoder scales each
frame); the program frames, and so the preview, keep their size. The output mode (the
ceiling this computer can afford) bounds the program while live, because effects at a size
nobody receives would be wasted work.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, Literal

from aiortc import RTCIceServer

from studio.core.api_client import ApiClient
from studio.core.audio import AudioFactory, audio_for, voice_name
from studio.core.cohost import CallTiles, CohostCall
from studio.core.effects_chain import EffectsChain
from studio.core.events import EventClient, ServerEvent
from studio.core.frames import FrameFlow, ProcessedFrame, Program
from studio.core.gifts import gift_in
from studio.core.mixer import AudioMixer
from studio.core.observers import Observers
from studio.core.output_quality import OutputMode
from studio.core.outputs import Output
from studio.core.publisher import Publisher, PublisherState, PublisherStatus
from studio.core.quality import QualityController
from studio.core.scenes.compositor import Compositor, SourceRack
from studio.core.scenes.model import SceneCollection
from studio.core.shared_encoder import EncoderPool
from studio.core.source_switch import SwitchableSource, describe, open_source
from studio.core.sources import VideoSource
from studio.core.voice import VoiceChain, voiced

LIVE_OUTPUT: Final = "whip"
SOURCE_AUDIO: Final = "source"
AudioChoice = AudioFactory | Literal["source"] | None
"""The audio to publish: ``"source"`` (what goes with the video source, through the voice
chain), a factory of one's own, or None for video only."""


class BroadcastState(enum.StrEnum):
    """Where the broadcast stands, as a person would say it."""

    IDLE = "idle"  # not live (the preview may run)
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    FAILED = "failed"  # the server refused; ending it returns to idle


_STATE_OF: dict[PublisherState, BroadcastState] = {
    PublisherState.IDLE: BroadcastState.CONNECTING,
    PublisherState.CONNECTING: BroadcastState.CONNECTING,
    PublisherState.LIVE: BroadcastState.LIVE,
    PublisherState.RECONNECTING: BroadcastState.RECONNECTING,
    PublisherState.STOPPED: BroadcastState.IDLE,
    PublisherState.FAILED: BroadcastState.FAILED,
}


@dataclass(frozen=True)
class LiveTarget:
    """Where going live publishes: a WHIP endpoint, the key for it, how to reach it."""

    url: str
    token: str | None = None
    ice_servers: Sequence[RTCIceServer] = ()


class Broadcast:
    """The studio's media engine (see the module's docstring)."""

    def __init__(
        self,
        chain: EffectsChain | None = None,
        voice: VoiceChain | None = None,
        *,
        opener: Callable[[str], VideoSource] | None = None,
    ) -> None:
        """``opener`` opens a source spec (default: :func:`studio.core.source_switch.
        open_source`: the sample clip, a camera or a file)."""
        self.chain = chain if chain is not None else EffectsChain()
        self.voice = voice if voice is not None else VoiceChain()
        self.flow: FrameFlow | None = None  # the camera through the effect chain
        self.scenes: SceneCollection | None = None
        self.compositor: Compositor | None = None
        self._scene_flow: FrameFlow | None = None
        self.publisher: Publisher | None = None
        self.outputs: dict[str, Output] = {}
        self.call: CohostCall | None = None
        # The voice (through the voice chain) and the media on air, mixed once for every output.
        self.mixer = AudioMixer(
            lambda: voiced(audio_for(self.spec or "sample"), self.voice), voice_name("")
        )
        self.source_changed: Observers[str] = Observers()  # the new spec
        self.source_failed: Observers[str] = Observers()  # a message for a person
        self.status_changed: Observers[PublisherStatus] = Observers()  # the live output's
        self.live_changed: Observers[bool] = Observers()  # went live (True) or ended
        # One encode per setting for the outputs that push or record the program (RTMP, files).
        self.encoders = EncoderPool(lambda: self.program, lambda: self._audio(SOURCE_AUDIO))
        self._opener = opener or open_source
        self._switch: SwitchableSource | None = None
        self._io = ThreadPoolExecutor(1, thread_name_prefix="source-io")  # opening, closing

    # ---- state ------------------------------------------------------------------------
    @property
    def spec(self) -> str:
        """The current source's spec ("" before one is open)."""
        return self._switch.spec if self._switch is not None else ""

    @property
    def program(self) -> Program | None:
        """What the outputs publish and the preview shows: the composed scene on air after
        :meth:`use_scenes`, otherwise the camera's flow (None before either exists)."""
        return self._scene_flow if self._scene_flow is not None else self.flow

    @property
    def live(self) -> bool:
        """A broadcast is on (connecting, live or reconnecting): :meth:`end` would end it."""
        return self.publisher is not None

    @property
    def state(self) -> BroadcastState:
        publisher = self.publisher
        return _STATE_OF[publisher.state] if publisher is not None else BroadcastState.IDLE

    @property
    def status(self) -> PublisherStatus | None:
        """The live output's numbers (None when not live)."""
        return self.publisher.status if self.publisher is not None else None

    # ---- the source -------------------------------------------------------------------
    async def open_source(self, spec: str) -> bool:
        """Show ``spec`` (opened off the event loop); on failure the current source stays,
        ``source_failed`` says why and the result is False."""
        loop = asyncio.get_running_loop()
        try:
            source = await loop.run_in_executor(self._io, self._opener, spec)
        except (OSError, ValueError) as exc:
            self.source_failed.emit(f"Could not open {describe(spec)}: {exc}")
            return False
        self.use_source(source, spec)
        return True

    def use_source(self, source: VideoSource, spec: str) -> None:
        """Make an already open ``source`` the broadcast's (the frame flow starts with the
        first; later ones replace it under a running flow, live or not)."""
        if self._switch is None:
            self._switch = SwitchableSource(source, spec)
            self.flow = FrameFlow(self._switch, self.chain)
            self.flow.start()
        else:
            self._switch.switch(source, spec)
        self.mixer.voice_changed(voice_name(spec))
        self.source_changed.emit(spec)

    # ---- scenes -----------------------------------------------------------------------
    def use_scenes(self, collection: SceneCollection) -> None:
        """Make the program ``collection``'s scene on air from now on (call on the event
        loop). Its sources open at once and follow every edit of the collection."""
        if self.scenes is not None:
            raise RuntimeError("the broadcast already composes a scene collection")
        rack = SourceRack(self._camera_frame)
        rack.sync(collection.sources)
        collection.changed.add(lambda what: self._scenes_edited(rack, what))
        self.scenes = collection
        self.mixer.follow(collection)
        self.compositor = Compositor(collection, rack, lambda: self.flow)
        self._scene_flow = FrameFlow(self.compositor)
        self._scene_flow.start()
        self.source_changed.emit(self.spec)

    def layer_status(self, source_id: str) -> str:
        """Why layers of ``source_id`` show a placeholder ("" when they show the source)."""
        return self.compositor.rack.status(source_id) if self.compositor is not None else ""

    def _scenes_edited(self, rack: SourceRack, what: str) -> None:
        if what == "sources" and self.scenes is not None:
            rack.sync(self.scenes.sources)

    def _camera_frame(self) -> ProcessedFrame | None:
        flow = self.flow
        return flow.latest() if flow is not None else None

    # ---- going live -------------------------------------------------------------------
    async def go_live(
        self,
        target: LiveTarget,
        *,
        codec: str = "vp8",
        output: OutputMode | None = None,
        audio: AudioChoice = SOURCE_AUDIO,
        quality: QualityController | None = None,
        max_backoff_s: float = 2.0,
    ) -> Publisher:
        """Publish the program to ``target`` until :meth:`end` (reconnecting by itself);
        ``output`` is the most to publish (None: as large as the network allows)."""
        program = self.program
        if program is None:
            raise RuntimeError("open a source before going live")
        if self.publisher is not None:
            return self.publisher
        publisher = self.publisher = Publisher(
            target.url,
            program,
            token=target.token,
            audio=self._audio(audio),
            codec=codec,
            ice_servers=target.ice_servers,
            quality=quality,
            on_status=self.status_changed.emit,
            max_backoff_s=max_backoff_s,
            output=output,
        )
        self._bound_program(output)
        self.live_changed.emit(True)
        await self.add_output(LIVE_OUTPUT, publisher)
        return publisher

    def lower_output(self, output: OutputMode) -> None:
        """Publish at most ``output`` from now on, for the rest of this broadcast."""
        if self.publisher is not None:
            self._bound_program(output)
            self.publisher.set_output(output)

    async def end(self) -> None:
        """End the broadcast: the live output stops (a no-op when not live)."""
        publisher, self.publisher = self.publisher, None
        if publisher is None:
            return
        self._bound_program(None)
        self.live_changed.emit(False)
        await self.remove_output(LIVE_OUTPUT)

    async def add_output(self, key: str, output: Output) -> None:
        """Start ``output`` on the program frames (a recorder, a second destination, ...)."""
        if key in self.outputs:
            raise ValueError(f"an output named {key!r} is already running")
        self.outputs[key] = output
        try:
            await output.start()
        except BaseException:  # it never ran: it is not an output of this broadcast
            self.outputs.pop(key, None)
            raise

    async def remove_output(self, key: str) -> None:
        output = self.outputs.pop(key, None)
        if output is not None:
            await output.stop()

    def _audio(self, choice: AudioChoice) -> AudioFactory | None:
        if choice == SOURCE_AUDIO:
            return self.mixer.track
        return choice

    def _bound_program(self, output: OutputMode | None) -> None:
        for flow in (self.flow, self._scene_flow):
            if flow is not None:
                flow.max_size = output.size if output is not None else None

    # ---- gifts ------------------------------------------------------------------------
    def gift_received(self, quantity: int) -> bool:
        """A gift arrived: while live, effects that react to gifts (the particle burst)
        react with the next frame. True when it reached the broadcast."""
        if not self.live:
            return False
        self.chain.pipeline.trigger("gift", quantity=quantity)
        return True

    def follow_gifts(self, events: EventClient, me: str) -> Callable[[], None]:
        """React to every gift to ``me`` that ``events`` brings; returns the unsubscribe."""

        def on_event(event: ServerEvent) -> None:
            gift = gift_in(event)
            if gift is not None and gift.to_user == me:
                self.gift_received(gift.quantity)

        return events.subscribe(on_event)

    # ---- the co-host call -------------------------------------------------------------
    async def join_call(
        self,
        session_id: str,
        topology: str,
        me: str,
        api: ApiClient,
        events: EventClient,
        tiles: CallTiles,
    ) -> bool:
        """Be in ``session_id``'s call (leaving another one first); False while there is no
        picture of mine yet (call again once a source is open)."""
        if self.call is not None and self.call.session_id == session_id:
            return True
        await self.leave_call()
        program = self.program
        if program is None:
            return False
        self.call = CohostCall(session_id, me, api, events, program, tiles)
        await self.call.connect(topology)
        return True

    def deliver_signal(self, event: ServerEvent) -> None:
        """A ``webrtc:*`` event for the call (ignored when there is none)."""
        if self.call is not None:
            self.call.deliver(event)

    async def leave_call(self) -> None:
        call, self.call = self.call, None
        if call is not None:
            await call.close()

    # ---- closing ----------------------------------------------------------------------
    async def close(self) -> None:
        """End everything: the call, the outputs, the frame flow, the effect chain."""
        await self.leave_call()
        await self.end()
        for key in list(self.outputs):
            await self.remove_output(key)
        await self.encoders.close()
        await self.mixer.close()
        flows = (self._scene_flow, self.flow)
        self._scene_flow, self.flow, self._switch = None, None, None
        loop = asyncio.get_running_loop()
        for flow in flows:
            if flow is not None:
                await loop.run_in_executor(self._io, flow.stop)
        if self.compositor is not None:
            self.compositor.rack.close()
        self._io.shutdown(wait=False)
        self.chain.close()
