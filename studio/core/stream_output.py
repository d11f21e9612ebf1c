"""An RTMP(S) or SRT push of the program to another platform (YouTube, Twitch, ...).

A :class:`StreamOutput` takes the shared encode for its setting (``EncoderPool``) and hands its
packets to a push process of its own (:mod:`studio.core.push_child`: FFmpeg's ``flv`` over
RTMP/RTMPS, ``mpegts`` over SRT), so nothing a server does can stall the studio: PyAV connects
with no timeout and holds the GIL meanwhile, which in the studio's interpreter froze the window
and every stream whenever a server accepted the connection and then went quiet. When the
server drops the connection the output reconnects with capped exponential backoff, saying
"reconnecting in N s" meanwhile; when the server refuses the stream (a wrong or already used
key: the server says why) it stops with the server's words once instead of knocking again and
again. A server that never answers costs one connect timeout (the process is killed), then the
backoff goes on. Stop ends the process at once while it connects, and gives a live one a
moment to finish the stream before killing it; every process is reaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Final

from studio.core.muxer import MuxError
from studio.core.observers import Observers
from studio.core.outputs import OutputState
from studio.core.protocols import missing_protocol
from studio.core.push_process import PushProcess
from studio.core.shared_encoder import EncoderPool, EncodeSetting, NoProgram, PacketFeed
from studio.core.tasks import cancel_and_wait

log = logging.getLogger(__name__)

TICK_S: Final = 1.0
TAKE_TIMEOUT_S: Final = 0.25
FORMAT_OF: Final = {"rtmp": "flv", "rtmps": "flv", "srt": "mpegts"}
NOT_RETRYABLE: Final = {errno.EINVAL, errno.ENOENT, errno.EACCES, errno.EPERM}
CONNECT_TIMEOUT_S: Final = 10.0
STOP_GRACE_S: Final = 2.0  # for the push process to finish a stream before it is killed


@dataclass(frozen=True)
class OutputStatus:
    """What the Outputs panel shows of one destination."""

    state: OutputState
    bitrate_kbps: float = 0.0
    dropped_frames: int = 0
    uptime_s: float = 0.0  # since it last went live
    retry_in_s: int = 0  # while reconnecting: when the next attempt starts
    reconnects: int = 0
    attempts: int = 0  # connections tried, in all
    error: str = ""  # the last failure, in the server's words where it gave any


class Refused(Exception):
    """The destination refused the stream; knocking again would not help."""


def refusal(exc: MuxError) -> str | None:
    """The message to stop with when ``exc`` (a failed connection) is a refusal, else None."""
    if exc.server_said:
        return f"The server refused the stream: {exc.server_said}"
    if exc.errno in NOT_RETRYABLE:
        return f"The stream cannot be sent there: {exc}"
    return None


def timed_out(seconds: float) -> str:
    return f"Could not connect: timed out after {seconds:g} s"


class StreamOutput:
    """Pushes the shared encode for ``setting`` to ``url`` until stopped (the
    :class:`studio.core.outputs.Output` protocol); ``status_changed`` reports every change
    and, while live, a tick a second."""

    def __init__(
        self,
        pool: EncoderPool,
        url: str,
        setting: EncodeSetting,
        *,
        name: str = "",
        max_backoff_s: float = 30.0,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        secret: str = "",
    ) -> None:
        """``secret`` (the stream key in ``url``) is masked in whatever the push process
        says."""
        scheme = url.split("://", 1)[0].lower()
        if scheme not in FORMAT_OF:
            raise ValueError(f"{url!r}: use an rtmp://, rtmps:// or srt:// address")
        self.pool = pool
        self.url = url
        self.setting = setting
        self.name = name or scheme.upper()
        self.format = FORMAT_OF[scheme]
        self.scheme = scheme
        self.max_backoff_s = max_backoff_s
        self.connect_timeout_s = connect_timeout_s
        self.secret = secret
        self.status_changed: Observers[OutputStatus] = Observers()
        self._status = OutputStatus(OutputState.IDLE)
        self._task: asyncio.Task[None] | None = None
        self._feed: PacketFeed | None = None
        self._push: PushProcess | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"output-{scheme}")
        self._stopping = threading.Event()
        self._live = asyncio.Event()

    @property
    def state(self) -> OutputState:
        return self._status.state

    @property
    def status(self) -> OutputStatus:
        return self._status

    @property
    def push_pid(self) -> int | None:
        """The process id of the push process while one runs (its CPU is not the studio's)."""
        return self._push.process.pid if self._push is not None else None

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=f"output {self.name}")

    async def wait_live(self) -> None:
        await self._live.wait()

    async def stop(self) -> None:
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        await self._drop_feed()
        if self._status.state is not OutputState.FAILED:
            self._report(state=OutputState.STOPPED, bitrate_kbps=0.0, retry_in_s=0)
        self._thread.shutdown(wait=False)

    # ---- the connection loop ----------------------------------------------------------
    async def _run(self) -> None:
        missing = missing_protocol(self.scheme)
        if missing:
            self._report(state=OutputState.FAILED, error=missing)
            return
        failures = 0
        while True:
            first = self._status.attempts == 0
            self._report(
                state=OutputState.CONNECTING if first else OutputState.RECONNECTING,
                attempts=self._status.attempts + 1,
                retry_in_s=0,
                bitrate_kbps=0.0,
            )
            try:
                error = await self._session()
            except (Refused, NoProgram) as exc:
                self._report(state=OutputState.FAILED, error=str(exc))
                await self._drop_feed()
                return
            if self._status.uptime_s > 0:
                failures = 0  # it was live: start the backoff again from its shortest wait
            failures += 1
            log.warning("%s: %s", self.name, error)
            await self._count_down(min(self.max_backoff_s, 2.0 ** (failures - 1)), error)

    async def _session(self) -> str:
        """Connect and send until the link fails; what failed, for the status."""
        feed = self._subscribe()
        feed.pause()
        try:
            push = await PushProcess.open(
                self.url,
                self.format,
                feed.encoder,
                thread=self._thread,
                timeout_s=self.connect_timeout_s,
                secret=self.secret,
            )
        except TimeoutError:
            return timed_out(self.connect_timeout_s)
        except MuxError as exc:
            refused = refusal(exc)
            if refused is not None:
                raise Refused(refused) from exc
            return str(exc)
        feed.restart()  # from the next keyframe: what queued while away is stale
        self._went_live()
        self._push = push
        sending = asyncio.get_running_loop().run_in_executor(self._thread, self._send, push, feed)
        try:
            await self._tick_while(sending, feed, push)
        finally:
            self._push = None
            await self._end(push, sending)
        return "stopped" if sending.result() else str(push.failure())

    def _subscribe(self) -> PacketFeed:
        if self._feed is None:
            self._feed = self.pool.subscribe(self.setting)
        return self._feed

    async def _drop_feed(self) -> None:
        feed, self._feed = self._feed, None
        if feed is not None:
            await self.pool.unsubscribe(feed)

    def _send(self, push: PushProcess, feed: PacketFeed) -> bool:
        """Write packets until stopped, the encode ends or the process goes (on this output's
        thread); whether it ended the stream itself."""
        try:
            while not (self._stopping.is_set() or push.ended.is_set()):
                packet = feed.take(TAKE_TIMEOUT_S)
                if packet is not None:
                    push.send(packet)
                elif feed.closed:
                    break
        except OSError:  # the process is gone: it says why
            return False
        if push.ended.is_set():
            return False
        push.finish()
        return True

    async def _end(self, push: PushProcess, sending: asyncio.Future[bool]) -> None:
        """Wait for the sending thread, then for the process to finish and be reaped. The
        thread sees a stop within TAKE_TIMEOUT_S unless it is stuck writing to a process that
        stopped reading (a server gone quiet): killing the process frees it."""
        if not sending.done():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STOP_GRACE_S):
                    await asyncio.shield(sending)
            if not sending.done():
                push.kill()
            await asyncio.shield(sending)
        await push.close(STOP_GRACE_S)

    async def _tick_while(
        self, sending: asyncio.Future[bool], feed: PacketFeed, push: PushProcess
    ) -> None:
        live_since, last_bytes, last_at = time.monotonic(), 0, time.monotonic()
        while not sending.done():
            await asyncio.wait([sending], timeout=TICK_S)
            now = time.monotonic()
            written = push.bytes_sent
            rate = (written - last_bytes) * 8 / 1000 / max(now - last_at, 1e-3)
            last_bytes, last_at = written, now
            self._report(
                bitrate_kbps=rate,
                dropped_frames=feed.dropped_frames,
                uptime_s=max(now - live_since, 1e-3),
            )

    def _went_live(self) -> None:
        reconnects = self._status.reconnects + (self._status.attempts > 1)
        self._report(state=OutputState.LIVE, error="", reconnects=reconnects, uptime_s=0.0)
        self._live.set()

    async def _count_down(self, seconds: float, error: str) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._report(
                state=OutputState.RECONNECTING,
                error=error,
                uptime_s=0.0,
                bitrate_kbps=0.0,
                retry_in_s=max(1, round(left)),
            )
            await asyncio.sleep(min(TICK_S, left))

    def _report(self, **changes: Any) -> None:
        status = replace(self._status, **changes)
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)
