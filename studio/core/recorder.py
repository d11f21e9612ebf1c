"""Recording the program to files, live or not, in a form that survives a crash.

The recorder is an output like the others: it takes the shared encode for its setting and
writes it to ``<folder>/onair-<date>-<time>.mkv`` (Matroska, or fragmented MP4). Both are
written as they go (Matroska clusters of one second, flushed at once; MP4 fragments at each
keyframe), so if the studio is killed the file still plays up to its last second or two.
Optionally each file is remuxed to a plain MP4 when recording stops, and a recording can be
split into parts by size or by time (at a keyframe, so every part plays on its own).

A full disk stops the recording cleanly: what was written stays playable and the status says
what happened and where the file is.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import av

from studio.core.muxer import EncodedPacket, Muxer, MuxError
from studio.core.observers import Observers
from studio.core.outputs import OutputState
from studio.core.shared_encoder import (
    EncoderPool,
    EncodeSetting,
    PacketFeed,
    SharedEncoder,
)

log = logging.getLogger(__name__)

TICK_S: Final = 0.5
TAKE_TIMEOUT_S: Final = 0.25


class Container(enum.StrEnum):
    MKV = "matroska"
    FRAGMENTED_MP4 = "fragmented_mp4"

    @property
    def suffix(self) -> str:
        return ".mkv" if self is Container.MKV else ".mp4"


MUXER_OPTIONS: Final[dict[Container, tuple[str, dict[str, str]]]] = {
    Container.MKV: ("matroska", {"cluster_time_limit": "1000", "flush_packets": "1"}),
    Container.FRAGMENTED_MP4: (
        "mp4",
        {"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"},
    ),
}


@dataclass(frozen=True)
class RecordingPlan:
    """Where and how to record."""

    folder: Path
    setting: EncodeSetting = field(default_factory=EncodeSetting)
    container: Container = Container.MKV
    remux_to_mp4: bool = False  # Matroska files become MP4 when recording stops
    split_seconds: float = 0.0  # 0: no time limit
    split_mb: float = 0.0  # 0: no size limit


@dataclass(frozen=True)
class RecordingStatus:
    """What the recording indicator shows."""

    state: OutputState
    path: Path | None = None  # the file being written (or the last one)
    duration_s: float = 0.0  # of the whole recording, over its parts
    size_bytes: int = 0  # of the whole recording
    files: tuple[Path, ...] = ()  # every part, as kept (remuxed ones as .mp4)
    message: str = ""  # why it stopped on its own (a full disk), or what failed


class DiskFull(Exception):
    pass


class Recorder:
    """Records the shared encode for ``plan.setting`` (the :class:`studio.core.outputs.
    Output` protocol); ``status_changed`` reports every change and twice a second while
    recording."""

    def __init__(self, pool: EncoderPool, plan: RecordingPlan) -> None:
        self.pool = pool
        self.plan = plan
        self.status_changed: Observers[RecordingStatus] = Observers()
        self._status = RecordingStatus(OutputState.IDLE)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="recorder")
        self._stopping = threading.Event()
        self._feed: PacketFeed | None = None
        self._task: asyncio.Task[None] | None = None
        self._writer = _PartWriter(plan)
        self._finished = False

    @property
    def state(self) -> OutputState:
        return self._status.state

    @property
    def status(self) -> RecordingStatus:
        return self._status

    async def start(self) -> None:
        if self._task is not None:
            return
        self.plan.folder.mkdir(parents=True, exist_ok=True)
        self._feed = self.pool.subscribe(self.plan.setting)
        self._report(state=OutputState.LIVE, message="")
        self._task = asyncio.create_task(self._run(self._feed), name="recorder")

    async def stop(self) -> None:
        """Finish the file (and remux it, if planned); the status lists what was kept."""
        self._stopping.set()
        task = self._task
        if task is not None:
            await asyncio.shield(task)  # the writer stops within a moment, at a packet's end
        await self._finish()

    async def _run(self, feed: PacketFeed) -> None:
        loop = asyncio.get_running_loop()
        writing = loop.run_in_executor(self._thread, self._write_all, feed)
        try:
            while not writing.done():
                await asyncio.wait([writing], timeout=TICK_S)
                self._report(**self._writer.progress())
        finally:
            if not writing.done():
                await asyncio.shield(writing)
        problem = writing.result()
        if problem:  # it stopped on its own: say so, keep what was written
            await self._finish(problem)

    async def _finish(self, problem: str = "") -> None:
        if self._finished:
            return
        self._finished = True
        feed, self._feed = self._feed, None
        if feed is not None:
            await self.pool.unsubscribe(feed)
        loop = asyncio.get_running_loop()
        kept = await loop.run_in_executor(self._thread, self._writer.finish)
        state = OutputState.FAILED if problem else OutputState.STOPPED
        self._report(state=state, files=tuple(kept), message=problem, **self._writer.progress())
        self._thread.shutdown(wait=False)

    def _write_all(self, feed: PacketFeed) -> str:
        """Write packets until stopped; a reason when it had to stop by itself."""
        try:
            while not self._stopping.is_set():
                packet = feed.take(TAKE_TIMEOUT_S)
                if packet is not None:
                    self._writer.write(packet, feed.encoder)
        except DiskFull as exc:
            return str(exc)
        except (MuxError, OSError) as exc:
            log.error("recording stopped: %s", exc)
            return f"Recording stopped: {exc}"
        return ""

    def _report(self, **changes: Any) -> None:
        status = replace(self._status, **changes)
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)


class _PartWriter:
    """The files of one recording (used on the recorder's thread only, but for
    :meth:`progress`, which only reads numbers)."""

    def __init__(self, plan: RecordingPlan) -> None:
        self.plan = plan
        self.stem = f"onair-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
        self.parts: list[Path] = []
        self._muxer: Muxer | None = None
        self._done_bytes = 0
        self._done_seconds = 0.0

    def progress(self) -> dict[str, Any]:
        muxer = self._muxer
        current_bytes = muxer.bytes_written if muxer is not None else 0
        current_seconds = muxer.duration if muxer is not None else 0.0
        return {
            "path": self.parts[-1] if self.parts else None,
            "size_bytes": self._done_bytes + current_bytes,
            "duration_s": self._done_seconds + current_seconds,
        }

    def write(self, packet: EncodedPacket, encoder: SharedEncoder) -> None:
        if self._muxer is None or (packet.video and packet.keyframe and self._part_is_full()):
            self._next_part(encoder)
        assert self._muxer is not None
        try:
            self._muxer.write(packet)
        except MuxError as exc:
            if exc.errno == errno.ENOSPC:
                raise DiskFull(self._disk_full_message()) from exc
            raise

    def _part_is_full(self) -> bool:
        muxer, plan = self._muxer, self.plan
        assert muxer is not None
        too_big = plan.split_mb > 0 and muxer.bytes_written >= plan.split_mb * 1_000_000
        too_long = plan.split_seconds > 0 and muxer.duration >= plan.split_seconds
        return too_big or too_long

    def _next_part(self, encoder: SharedEncoder) -> None:
        self._close_part()
        number = len(self.parts) + 1
        suffix = "" if number == 1 else f"-part{number}"
        path = _unused(self.plan.folder / f"{self.stem}{suffix}{self.plan.container.suffix}")
        format_name, options = MUXER_OPTIONS[self.plan.container]
        try:
            self._muxer = Muxer(str(path), format_name, encoder, options)
        except MuxError as exc:
            if exc.errno == errno.ENOSPC:
                raise DiskFull(self._disk_full_message()) from exc
            raise
        self.parts.append(path)

    def _close_part(self) -> None:
        muxer, self._muxer = self._muxer, None
        if muxer is None:
            return
        self._done_bytes += muxer.bytes_written
        self._done_seconds += muxer.duration
        try:
            muxer.close()
        except MuxError as exc:  # a full disk at the trailer: the file plays without its index
            log.warning("closing %s: %s", self.parts[-1], exc)
            muxer.abandon()

    def _disk_full_message(self) -> str:
        where = self.parts[-1] if self.parts else self.plan.folder
        return (
            f"The disk is full: recording stopped at {time.strftime('%H:%M:%S')}. "
            f"What was recorded is kept in {where}; free some space to record again."
        )

    def finish(self) -> list[Path]:
        """Close the last part, remux what should be; the files kept."""
        self._close_part()
        if self.plan.remux_to_mp4 and self.plan.container is Container.MKV:
            return [remux_to_mp4(path) for path in self.parts]
        return list(self.parts)


def _unused(path: Path) -> Path:
    """``path``, or ``name-2.mkv``, ``name-3.mkv``... when a file (or its MP4) is there: two
    recordings started within a second never overwrite each other."""
    candidate, number = path, 1
    while candidate.exists() or candidate.with_suffix(".mp4").exists():
        number += 1
        candidate = path.with_stem(f"{path.stem}-{number}")
    return candidate


def remux_to_mp4(path: Path) -> Path:
    """``path``'s streams copied into a plain MP4 beside it (index at the front); the
    original is removed once the copy is complete. On failure the original stays."""
    target = path.with_suffix(".mp4")
    try:
        with (
            av.open(str(path)) as source,
            av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as copy,
        ):
            streams = {s.index: copy.add_stream_from_template(s) for s in source.streams}
            for packet in source.demux():
                if packet.dts is None:
                    continue
                packet.stream = streams[packet.stream.index]
                copy.mux(packet)
    except (av.FFmpegError, OSError) as exc:
        log.warning("could not remux %s to MP4 (%s): keeping the Matroska file", path, exc)
        target.unlink(missing_ok=True)
        return path
    path.unlink()
    return target
