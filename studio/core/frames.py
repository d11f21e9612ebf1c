"""Frame flow: source → filter pipeline → the newest processed frame, off the event loop.

A worker thread reads the source and runs the pipeline; each result replaces the previous one
in a one-frame slot. Consumers (the encoder, a preview) always take the newest frame, so when
anything falls behind, old frames are dropped and never queued: latency cannot build up.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from studio.core.sources import Image, SourceFrame, VideoSource, continue_after_pause

log = logging.getLogger(__name__)


class FramePipeline(Protocol):
    def process(self, frame: Image) -> Image: ...


Pipeline = FramePipeline | Callable[[Image], Image]


@dataclass(frozen=True)
class ProcessedFrame:
    image: Image
    seq: int  # 1, 2, 3, ... in the order frames left the pipeline
    index: int  # the source frame index
    captured_at: float
    processed_at: float


@dataclass
class FlowStats:
    processed: int = 0
    skipped: int = 0  # frames replaced in the slot before any consumer took them
    process_ms: float = 0.0  # moving average of the pipeline's cost


class Program(Protocol):
    """The newest finished frames, as every output (the publisher, a co-host call, a recorder)
    and the preview consume them: a :class:`FrameFlow` today, a scene compositor later."""

    stats: FlowStats

    @property
    def running(self) -> bool: ...

    def start(self) -> None: ...

    def latest(self) -> ProcessedFrame | None: ...

    async def next(self, after_seq: int) -> ProcessedFrame: ...


_running: weakref.WeakSet[FrameFlow] = weakref.WeakSet()


@atexit.register
def _stop_running_flows() -> None:
    """Stop every flow still running when the interpreter exits. A daemon worker left inside
    MediaPipe's graph is killed mid-call when Python finalizes, and that aborts the process
    ("FATAL: exception not rethrown")."""
    for flow in list(_running):
        flow.stop()


class FrameFlow:
    """Runs ``source`` through ``pipeline`` at the source's pace; hands out the newest frame.

    ``max_size`` (width, height) scales frames down before the pipeline, so a lower quality
    level also costs less to filter. Change the pipeline at any time with :attr:`pipeline`.
    """

    def __init__(self, source: VideoSource, pipeline: Pipeline | None = None) -> None:
        self.source = source
        self.pipeline = pipeline
        self.max_size: tuple[int, int] | None = None
        self.stats = FlowStats()
        self._latest: ProcessedFrame | None = None
        self._taken = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event = asyncio.Event()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._awake = threading.Event()  # cleared while paused
        self._awake.set()
        self._fresh = threading.Condition()  # notified with every new frame, for threads

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the worker thread (call from the event loop that consumes frames)."""
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="frame-flow", daemon=True)
        self._thread.start()
        _running.add(self)

    @property
    def paused(self) -> bool:
        return not self._awake.is_set()

    def pause(self) -> None:
        """Stop reading the source and running the pipeline (the newest frame stays) until
        :meth:`resume`: a camera no scene on air shows costs nothing."""
        self._awake.clear()

    def resume(self) -> None:
        self._awake.set()

    def stop(self) -> None:
        _running.discard(self)
        self._stop.set()
        self._awake.set()  # a paused worker wakes up to end
        self.source.close()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def latest(self) -> ProcessedFrame | None:
        """The newest processed frame, for synchronous consumers such as a preview widget."""
        return self._latest

    def wait_newer(self, after_seq: int, timeout: float) -> ProcessedFrame | None:
        """For another thread (the scene compositor): the newest frame with ``seq`` greater
        than ``after_seq``, waiting up to ``timeout`` seconds; None if none came."""

        def newer() -> bool:
            latest = self._latest
            return (latest is not None and latest.seq > after_seq) or not self.running

        with self._fresh:
            self._fresh.wait_for(newer, timeout)
        frame = self._latest
        return frame if frame is not None and frame.seq > after_seq else None

    async def next(self, after_seq: int) -> ProcessedFrame:
        """The newest frame with ``seq`` greater than ``after_seq``; waits for one if needed."""
        while self._latest is None or self._latest.seq <= after_seq:
            if not self.running:
                raise EOFError("the frame flow has stopped")
            await self._event.wait()
        frame = self._latest
        self._taken = max(self._taken, frame.seq)
        return frame

    def _run(self) -> None:
        seq = 0
        try:
            while not self._stop.is_set():
                if not self._awake.is_set():
                    self._awake.wait()
                    continue_after_pause(self.source)
                    continue
                frame = self.source.read()
                if frame is None:
                    break
                seq += 1
                self._publish(self._process(frame, seq))
        except Exception:
            log.exception("frame flow stopped")
        finally:
            self._wake()

    def _process(self, frame: SourceFrame, seq: int) -> ProcessedFrame:
        started = time.perf_counter()
        image = frame.image
        if self.max_size is not None:
            image = _fit(image, *self.max_size)
        pipeline = self.pipeline
        if pipeline is not None:
            image = pipeline.process(image) if hasattr(pipeline, "process") else pipeline(image)
        cost = (time.perf_counter() - started) * 1000.0
        self.stats.process_ms = cost if seq == 1 else 0.9 * self.stats.process_ms + 0.1 * cost
        return ProcessedFrame(image, seq, frame.index, frame.captured_at, time.monotonic())

    def _publish(self, frame: ProcessedFrame) -> None:
        previous = self._latest
        if previous is not None and previous.seq > self._taken:
            self.stats.skipped += 1
        self._latest = frame
        self.stats.processed += 1
        with self._fresh:
            self._fresh.notify_all()
        self._wake()

    def _wake(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop may close meanwhile
            loop.call_soon_threadsafe(self._notify)

    def _notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()


def _fit(image: Image, width: int, height: int) -> Image:
    """Scale ``image`` down (never up) to fit in width x height, keeping even dimensions."""
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    if scale >= 1.0:
        return image
    size = (max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
