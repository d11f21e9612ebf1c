"""Going live: a WHIP client (RFC 9725) that publishes the frame flow and an audio track.

Works against any WHIP endpoint (the bundled backend, MediaMTX, LiveKit ingress, ...): POST
the SDP offer with ``Authorization: Bearer``, 201 with the answer and a ``Location``, DELETE
that resource to stop. The publisher watches its own link: when the peer connection fails or
closes, or the receiver's RTCP reports stop arriving, it tears the session down and connects
again with capped exponential backoff, so it is live again within a few seconds of the server
coming back. While live it reads the RTCP statistics every receiver report and lets the
quality controller pick resolution, frame rate and bitrate. Only what is sent changes: the
encoder scales each frame to the level, and the frame flow (the preview) is left as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from rtc import aiortc_hooks
from studio.core.audio import AudioFactory
from studio.core.frames import Program
from studio.core.net_errors import (
    LINK_FAILED,
    NO_RECEIVER_REPORTS,
    describe_failure,
    server_refusal,
)
from studio.core.output_quality import OutputMode
from studio.core.quality import QualityController, QualityLevel, StatsReader
from studio.core.tasks import cancel_and_wait
from studio.core.video_track import EncodedVideoTrack
from wire.http import tls_context

log = logging.getLogger(__name__)

TICK_S = 0.5
STALE_AFTER_S = 4.0  # no RTCP receiver report for this long: the link is dead
CONNECT_TIMEOUT_S = 10.0
FATAL_STATUS = {400, 401, 403, 404, 405, 406, 415, 422}


class PublisherState(enum.StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True)
class PublisherStatus:
    """What the studio UI shows: state, quality level and the link's health."""

    state: PublisherState
    level: QualityLevel
    network: str  # the last classification: excellent, good, fair, poor ("" before any)
    rtt_ms: float | None = None
    loss_pct: float = 0.0
    bitrate_kbps: float = 0.0
    fps: float = 0.0  # frames actually sent per second
    encode_ms: float = 0.0
    frames_skipped: int = 0
    reconnects: int = 0
    error: str = ""


class PublishRejected(Exception):
    """The WHIP server refused the offer in a way retrying cannot fix."""


@dataclass
class _Link:
    pc: RTCPeerConnection
    video: EncodedVideoTrack
    sender: RTCRtpSender
    resource: str | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)


class Publisher:
    """Publishes ``flow`` (and audio) to a WHIP URL until stopped, reconnecting by itself:
    the broadcast engine's live output (:class:`studio.core.outputs.Output`).

    ``on_status`` is called on every state change and every statistics tick (twice a second),
    and so is every listener added with :meth:`add_status_listener`.
    """

    def __init__(
        self,
        url: str,
        flow: Program,
        *,
        token: str | None = None,
        audio: AudioFactory | None = None,
        codec: str = "vp8",
        ice_servers: Sequence[RTCIceServer] = (),
        quality: QualityController | None = None,
        on_status: Callable[[PublisherStatus], None] | None = None,
        max_backoff_s: float = 2.0,
        output: OutputMode | None = None,
    ) -> None:
        self.url = url
        self.flow = flow
        self.token = token
        self.audio = audio
        self.codec = codec
        self.ice_servers = list(ice_servers)
        self.quality = quality or QualityController()
        self.output = output  # the ceiling the network's level adapts beneath
        self.on_status = on_status
        self._listeners: list[Callable[[PublisherStatus], None]] = []
        self.max_backoff_s = max_backoff_s
        self.reconnects = 0
        self._state = PublisherState.IDLE
        self._error = ""
        self._live = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._link: _Link | None = None
        self._reader = StatsReader()
        self._fps = 0.0
        self._http = httpx.AsyncClient(timeout=5.0, follow_redirects=True, verify=tls_context())

    # ---- public API -----------------------------------------------------------------
    @property
    def state(self) -> PublisherState:
        return self._state

    @property
    def level(self) -> QualityLevel:
        """What is published: the network's level, capped by the output setting."""
        level = self.quality.level
        return self.output.cap(level) if self.output is not None else level

    def set_output(self, output: OutputMode | None) -> None:
        """Change the ceiling now (frames are encoded at it from the next one on)."""
        self.output = output
        self._notify()

    @property
    def status(self) -> PublisherStatus:
        sample = self.quality.last_sample
        reading = self.quality.last_reading
        link = self._link
        return PublisherStatus(
            state=self._state,
            level=self.level,
            network=reading.name.lower() if reading is not None else "",
            rtt_ms=sample.rtt_ms if sample else None,
            loss_pct=sample.loss_pct if sample else 0.0,
            bitrate_kbps=self._reader.sent_kbps,
            fps=self._fps,
            encode_ms=link.video.encode_ms if link else 0.0,
            frames_skipped=self.flow.stats.skipped,
            reconnects=self.reconnects,
            error=self._error,
        )

    def add_status_listener(self, listener: Callable[[PublisherStatus], None]) -> None:
        self._listeners.append(listener)

    async def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        if self._http.is_closed:  # started again after stop()
            self._http = httpx.AsyncClient(timeout=5.0, follow_redirects=True, verify=tls_context())
        self.flow.start()
        self._task = asyncio.create_task(self._run(), name="whip-publisher")

    async def wait_live(self) -> None:
        await self._live.wait()

    async def stop(self) -> None:
        """Stop publishing: DELETE the WHIP resource and close the connection."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        await self._teardown()
        await self._http.aclose()
        self._set_state(PublisherState.STOPPED)

    # ---- the connection loop ----------------------------------------------------------
    async def _run(self) -> None:
        attempt = 0
        while True:
            self._set_state(PublisherState.RECONNECTING if attempt else PublisherState.CONNECTING)
            try:
                await self._connect()
                attempt = 0
                self._error = ""
                self._set_state(PublisherState.LIVE)
                self._error = await self._watch()
            except PublishRejected as exc:
                self._error = str(exc)
                await self._teardown()
                self._set_state(PublisherState.FAILED)
                return
            except (httpx.HTTPError, OSError, TimeoutError, ValueError) as exc:
                self._error = describe_failure(exc)
            log.info("publisher link down (%s); reconnecting", self._error)
            await self._teardown()
            attempt += 1
            self.reconnects += 1
            delay = min(self.max_backoff_s, 0.25 * 2 ** (attempt - 1))
            await asyncio.sleep(delay * random.uniform(0.8, 1.0))

    async def _connect(self) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self.ice_servers))
        video = EncodedVideoTrack(self.flow, lambda: self.level, self.codec)
        transceiver = pc.addTransceiver(video, direction="sendonly")
        transceiver.setCodecPreferences(
            [
                c
                for c in RTCRtpSender.getCapabilities("video").codecs
                if c.mimeType.lower() in (video.mime_type.lower(), "video/rtx")
            ]
        )
        aiortc_hooks.on_keyframe_request(transceiver.sender, video.request_keyframe)
        if self.audio is not None:
            pc.addTransceiver(self.audio(), direction="sendonly")
        link = self._link = _Link(pc, video, transceiver.sender)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected":
                link.connected.set()

        await pc.setLocalDescription(await pc.createOffer())
        headers = {"Content-Type": "application/sdp"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = await self._http.post(self.url, content=pc.localDescription.sdp, headers=headers)
        if response.status_code in FATAL_STATUS:
            raise PublishRejected(server_refusal(response.status_code, response.text))
        if response.status_code != 201 or "location" not in response.headers:
            raise OSError(f"the server answered HTTP {response.status_code}")
        link.resource = str(response.url.join(response.headers["location"]))
        await pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await link.connected.wait()
        self._reader = StatsReader()

    async def _watch(self) -> str:
        """Return (with the reason) once the link is dead; adapt quality while it lives."""
        link = self._link
        assert link is not None
        started = time.time()
        last_report = None
        counted, counted_at = link.video.sent, time.monotonic()
        while True:
            await asyncio.sleep(TICK_S)
            if link.pc.connectionState in ("failed", "closed"):
                return LINK_FAILED
            sample = self._reader.read(await link.sender.getStats())
            reported = self._reader.last_report_at
            if time.time() - (reported or started) > STALE_AFTER_S:
                return NO_RECEIVER_REPORTS
            if sample is not None and reported != last_report:
                last_report = reported
                if self.quality.update(sample) is not None:
                    log.info("quality level %s (%s)", self.level.name, sample)
            now = time.monotonic()
            self._fps = (link.video.sent - counted) / (now - counted_at)
            counted, counted_at = link.video.sent, now
            self._notify()

    async def _teardown(self) -> None:
        link, self._link = self._link, None
        if link is None:
            return
        if link.resource:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            with contextlib.suppress(httpx.HTTPError):
                await self._http.delete(link.resource, headers=headers, timeout=1.0)
        await link.pc.close()

    def _set_state(self, state: PublisherState) -> None:
        self._state = state
        if state is PublisherState.LIVE:
            self._live.set()
        else:
            self._live.clear()
        self._notify()

    def _notify(self) -> None:
        if self.on_status is None and not self._listeners:
            return
        status = self.status
        if self.on_status is not None:
            self.on_status(status)
        for listener in self._listeners:
            listener(status)
