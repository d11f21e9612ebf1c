"""Recording the program to files: split parts that each play, a remux to MP4 on stop, a
full disk (a real 1 MB tmpfs) that stops cleanly with a playable file, and a studio process
killed with SIGKILL mid-recording whose file still plays to its last seconds. ffprobe reads
the files."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import av
import numpy as np
import pytest

from studio.core.audio import SampleAudioTrack
from studio.core.broadcast import Broadcast
from studio.core.frames import FrameFlow
from studio.core.output_deck import OutputDeck
from studio.core.outputs import OutputState
from studio.core.recorder import Container, Recorder, RecordingPlan, RecordingStatus
from studio.core.shared_encoder import EncoderPool, EncodeSetting, NoProgram
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource, SourceFrame
from studio.core.stream_key_store import FileKeyStore
from tests.media_probe import loudness_by_time, luma_by_time, onsets, probe

SETTING = EncodeSetting(640, 360, 1000, preset="ultrafast")
FLASH_S = 0.1


@contextlib.asynccontextmanager
async def recording_deck(plan: RecordingPlan) -> AsyncIterator[OutputDeck]:
    broadcast = Broadcast()
    broadcast.use_source(SampleSource(640, 360, fps=30.0), SAMPLE)
    deck = OutputDeck(broadcast, FileKeyStore(plan.folder.parent / "keys.json"), [], plan)
    try:
        yield deck
    finally:
        await deck.close()
        await broadcast.close()


async def test_a_recording_split_by_time_is_remuxed_to_mp4_parts_that_each_play(
    tmp_path: Path,
) -> None:
    plan = RecordingPlan(tmp_path / "rec", SETTING, remux_to_mp4=True, split_seconds=2.0)
    async with recording_deck(plan) as deck:
        statuses: list[RecordingStatus] = []
        deck.recording_changed.add(statuses.append)
        recorder = await deck.start_recording()
        while recorder.status.duration_s < 5.0:
            await asyncio.sleep(0.1)
        final = await deck.stop_recording()
    assert final is not None and final.state is OutputState.STOPPED
    assert len(final.files) >= 2
    assert all(path.suffix == ".mp4" for path in final.files)
    assert sorted(plan.folder.iterdir()) == sorted(final.files), "Matroska files left behind"
    total = 0.0
    for path in final.files:
        got = probe(path)
        assert (got.video_codec, got.audio_codec, got.width, got.height) == (
            "h264",
            "aac",
            640,
            360,
        )
        assert got.duration <= 4.1  # split at the first keyframe after 2 s (one every 2 s)
        total += got.duration + 1 / 30
    assert abs(total - final.duration_s) < 0.5
    # The indicator moved while recording: growing duration and size.
    sizes = [s.size_bytes for s in statuses if s.state is OutputState.LIVE]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert final.size_bytes >= sizes[-1]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB filesystem (tmpfs): it fills up within seconds of recording."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)])
    if made.returncode != 0:
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


async def test_a_full_disk_stops_the_recording_cleanly_with_a_playable_file(
    tiny_disk: Path,
) -> None:
    plan = RecordingPlan(tiny_disk, SETTING, container=Container.MKV)
    async with recording_deck(plan) as deck:
        ended: list[RecordingStatus] = []
        deck.recording_changed.add(
            lambda s: ended.append(s) if s.state is OutputState.FAILED else None
        )
        await deck.start_recording()
        deadline = time.monotonic() + 60
        while not ended and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await deck.settled()
        assert ended, "the recording never noticed the full disk"
        assert not deck.recording
    [status] = ended
    assert status.message.startswith("The disk is full: recording stopped at")
    assert str(status.path) in status.message
    assert status.files == (status.path,)
    assert status.path is not None
    got = probe(status.path)
    assert got.video_codec == "h264" and got.duration > 2.0


async def test_a_studio_killed_while_recording_leaves_a_file_that_plays_to_its_last_seconds(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "rec"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.studio.core.record_until_killed", str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[3],
    )
    try:
        assert child.stdout is not None
        path = Path(child.stdout.readline().strip())
        started = time.monotonic()
        await asyncio.sleep(6.0)
        recorded_for = time.monotonic() - started
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    got = probe(path)
    assert (got.video_codec, got.width, got.height) == ("h264", 640, 360)
    assert got.duration > recorded_for - 2.5, (got.duration, recorded_for)


class FlashSource:
    """Black frames, white for the first 0.1 s of every second of ``clock``."""

    def __init__(self, clock: float, fps: float = 30.0) -> None:
        self.clock, self.fps = clock, fps
        self._index = 0
        self._closed = threading.Event()

    def read(self) -> SourceFrame | None:
        if self._closed.wait(1.0 / self.fps):
            return None
        now = time.monotonic()
        lit = (now - self.clock) % 1.0 < FLASH_S
        self._index += 1
        return SourceFrame(np.full((360, 640, 3), 255 if lit else 0, np.uint8), self._index, now)

    def close(self) -> None:
        self._closed.set()


class BeepTrack(SampleAudioTrack):
    """Silence, with a 1 kHz tone for the first 0.1 s of every second of ``clock``."""

    def __init__(self, clock: float) -> None:
        super().__init__(frequency=1000.0)
        self.clock = clock

    async def recv(self) -> av.AudioFrame:
        frame = await super().recv()
        at = time.monotonic() - self.clock  # this frame is due now (the track paces itself)
        if at % 1.0 >= FLASH_S:
            frame = silent_like(frame)
        return frame


def silent_like(frame: av.AudioFrame) -> av.AudioFrame:
    silent = av.AudioFrame.from_ndarray(
        np.zeros_like(frame.to_ndarray()), format="s16", layout="mono"
    )
    silent.sample_rate, silent.pts, silent.time_base = frame.sample_rate, frame.pts, frame.time_base
    return silent


async def test_a_flash_and_a_beep_made_together_are_recorded_together(tmp_path: Path) -> None:
    clock = time.monotonic()
    flow = FrameFlow(FlashSource(clock))
    flow.start()
    pool = EncoderPool(lambda: flow, lambda: lambda: BeepTrack(clock))
    recorder = Recorder(pool, RecordingPlan(tmp_path, SETTING))
    await recorder.start()
    await asyncio.sleep(6.5)
    await recorder.stop()
    await pool.close()
    flow.stop()
    [path] = recorder.status.files
    flashes = onsets(luma_by_time(path), 128.0)
    beeps = onsets(loudness_by_time(path), -40.0)
    assert len(flashes) >= 5 and len(beeps) >= 5, (flashes, beeps)
    offsets = [min(beeps, key=lambda b: abs(b - f)) - f for f in flashes]
    # Within two video frames: what a frame's 33 ms and AAC's 21 ms frames allow, plus the
    # pipeline's few milliseconds.
    assert max(abs(o) for o in offsets) < 0.067, offsets


async def test_a_recording_never_overwrites_a_file_of_the_same_name(tmp_path: Path) -> None:
    plan = RecordingPlan(tmp_path / "rec", SETTING)
    plan.folder.mkdir()
    now = datetime.now()
    existing = [  # what this second's (and the next seconds') recording would be called
        plan.folder / f"onair-{(now + timedelta(seconds=s)).strftime('%Y%m%d-%H%M%S')}.mkv"
        for s in range(3)
    ]
    for path in existing:
        path.write_bytes(b"an earlier recording")
    async with recording_deck(plan) as deck:
        recorder = await deck.start_recording()
        while recorder.status.duration_s < 0.5:
            await asyncio.sleep(0.05)
        status = await deck.stop_recording()
    assert status is not None
    [kept] = status.files
    assert kept not in existing and probe(kept).duration > 0
    assert all(path.read_bytes() == b"an earlier recording" for path in existing)


async def test_recording_before_there_is_a_picture_says_so_and_records_nothing(
    tmp_path: Path,
) -> None:
    broadcast = Broadcast()
    deck = OutputDeck(broadcast, FileKeyStore(tmp_path / "keys.json"), [], RecordingPlan(tmp_path))
    with pytest.raises(NoProgram, match="open a source first"):
        await deck.start_recording()
    assert not deck.recording and broadcast.outputs == {}
    await broadcast.close()
