"""Frame flow: newest frame wins (old frames are skipped, never queued); file source loops."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from studio.core.frames import FrameFlow
from studio.core.marker import draw_marker, read_marker
from studio.core.sources import FileSource, SampleSource, SourceFrame

ROOT = Path(__file__).resolve().parents[3]


class Invert:
    def process(self, frame: np.ndarray) -> np.ndarray:
        return 255 - frame


async def test_a_slow_consumer_gets_the_newest_frame_and_nothing_piles_up() -> None:
    flow = FrameFlow(SampleSource(160, 90, fps=30.0, marker=True))
    flow.start()
    try:
        first = await flow.next(0)
        await asyncio.sleep(0.5)  # a consumer busy for 15 frame intervals
        second = await flow.next(first.seq)
        assert second.seq > first.seq + 5  # the frames in between were dropped...
        assert flow.stats.skipped >= second.seq - first.seq - 2  # ...and counted
        third = await flow.next(second.seq)
        assert third.seq == second.seq + 1  # a consumer that keeps up misses nothing
        assert read_marker(third.image) == third.index
    finally:
        flow.stop()


async def test_pipeline_objects_and_callables_both_plug_in() -> None:
    for pipeline in (Invert(), lambda frame: 255 - frame):
        flow = FrameFlow(SampleSource(160, 90, fps=30.0, marker=True), pipeline)
        flow.start()
        try:
            frame = await flow.next(0)
            inverted = 255 - frame.image
            assert read_marker(np.ascontiguousarray(inverted)) == frame.index
        finally:
            flow.stop()


async def test_max_size_scales_frames_before_the_pipeline() -> None:
    seen: list[tuple[int, ...]] = []

    def record(frame: np.ndarray) -> np.ndarray:
        seen.append(frame.shape)
        return frame

    flow = FrameFlow(SampleSource(320, 180, fps=30.0), record)
    flow.max_size = (160, 90)
    flow.start()
    try:
        frame = await flow.next(0)
        assert frame.image.shape == (90, 160, 3) and seen[0] == (90, 160, 3)
    finally:
        flow.stop()


def write_clip(path: Path, frames: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libvpx", rate=30)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 30)
        for index in range(frames):
            image = np.full((96, 160, 3), 90, np.uint8)
            draw_marker(image, index)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def test_file_source_plays_in_real_time_and_loops(tmp_path: Path) -> None:
    clip = tmp_path / "clip.webm"
    write_clip(clip, 5)
    source = FileSource(clip)
    try:
        frames = [source.read() for _ in range(12)]
    finally:
        source.close()
    values = [read_marker(f.image) for f in frames if isinstance(f, SourceFrame)]
    assert values[:5] == [0, 1, 2, 3, 4]
    assert values[5:10] == [0, 1, 2, 3, 4]  # looped
    assert (source.width, source.height) == (160, 96)


def test_flows_left_running_are_stopped_before_the_interpreter_exits(tmp_path: Path) -> None:
    # A worker thread still inside MediaPipe when Python finalizes aborts the process.
    script = tmp_path / "leave_running.py"
    script.write_text(
        "import asyncio\n"
        "from filters.pipeline import Pipeline\n"
        "from filters.registry import create\n"
        "from studio.core.frames import FrameFlow\n"
        "from studio.core.sources import SampleSource\n"
        "async def main():\n"
        "    pipeline = Pipeline([create('beauty.smooth'), create('background.blur')])\n"
        "    flow = FrameFlow(SampleSource(320, 180, fps=100.0), pipeline)\n"
        "    flow.start()\n"
        "    await flow.next(3)\n"
        "asyncio.run(main())\n"
    )
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "FATAL" not in done.stderr


def test_closing_a_file_source_while_its_thread_reads_it_is_safe(tmp_path: Path) -> None:
    # Releasing OpenCV's capture in the middle of a read aborted the process (a scene's media
    # source closed while its feed thread read it), so it runs in a process of its own.
    clip = tmp_path / "clip.webm"
    write_clip(clip, 30)
    code = textwrap.dedent(
        f"""
        import threading, time
        from studio.core.sources import FileSource

        for attempt in range(40):
            source = FileSource({str(clip)!r})
            source._clock.fps = 1000.0  # read as fast as it decodes
            reader = threading.Thread(target=lambda: [source.read() for _ in range(200)])
            reader.start()
            time.sleep(0.002 * (attempt % 5))
            source.close()
            reader.join()
        print("closed safely")
        """
    )
    done = subprocess.run(  # "-c": this checkout's studio package comes first on the path
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0 and "closed safely" in done.stdout, done.stderr[-2000:]
