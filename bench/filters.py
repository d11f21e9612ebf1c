"""Effect timings on one thread: per filter and whole chains at 360p, 720p and 1080p.

    onair bench filters          (or: python -m bench.filters)

Prints median / p99 wall milliseconds, the median CPU milliseconds of the process and
frames per second; asserts nothing. CPU time counts every thread of the process (MediaPipe
runs its graphs on threads of its own, which ``thread_time`` would miss); on a shared
machine it is the figure to compare, as it excludes waiting for the CPU. Frames come from
the synthetic face clip. Per-filter rows exclude face tracking and segmentation (shown on
their own rows); chain rows are the whole ``Pipeline.process`` including them.
``ONAIR_BENCH_FRAMES`` sets the frames per measurement (default 40).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import cv2
import numpy as np

from filters import presets, registry
from filters.base import VideoFilter
from filters.context import FaceTracker, FrameContext, PersonSegmenter
from filters.pipeline import Pipeline
from filters.synthetic import SyntheticFaceClip
from filters.types import Image

RESOLUTIONS = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080)}
WARMUP = 5
DEFAULT_PRESET = "Natural beauty"


def _frames() -> int:
    return max(5, int(os.environ.get("ONAIR_BENCH_FRAMES", "40")))


Samples = tuple[list[float], list[float]]
"""Wall and process-CPU seconds per run."""


def _row(label: str, samples: Samples) -> None:
    wall, cpu = (np.array(values) * 1000.0 for values in samples)
    median = float(np.median(wall))
    fps = 1000.0 / median if median > 0 else float("inf")
    p99, cpu_median = float(np.percentile(wall, 99)), float(np.median(cpu))
    print(f"  {label:<34} {median:8.2f} {p99:8.2f} {cpu_median:8.2f} {fps:9.1f}")


def _timed(run: Callable[[int], object], count: int) -> Samples:
    for index in range(WARMUP):
        run(index)
    wall, cpu = [], []
    for index in range(WARMUP, WARMUP + count):
        started, started_cpu = time.perf_counter(), time.process_time()
        run(index)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def _calibration() -> None:
    frame = np.random.default_rng(0).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    table = np.arange(256, dtype=np.uint8)
    wall, cpu = _timed(lambda _: cv2.LUT(frame, table), 50)
    print(
        f"machine: cv2.LUT on a 720p frame takes {np.median(wall) * 1000:.2f} ms "
        f"({np.median(cpu) * 1000:.2f} ms CPU)"
    )


def _per_filter(clip: SyntheticFaceClip, frames: list[Image], count: int) -> None:
    base = FaceTracker(refined=False)
    _row("face tracking (base mesh)", _timed(lambda i: base.detect(frames[i]), count))
    base.close()
    tracker, segmenter = FaceTracker(), PersonSegmenter()
    contexts = [FrameContext(f, index=i, time=i / clip.fps, tracker=tracker, segmenter=segmenter)
                for i, f in enumerate(frames)]  # fmt: skip
    _row("face tracking (refined FaceMesh)", _timed(lambda i: tracker.detect(frames[i]), count))
    _row("person mask (selfie seg.)", _timed(lambda i: segmenter.mask(frames[i]), count))
    for ctx in contexts:
        _ = ctx.faces, ctx.person_mask()
    for cls in registry.all_filters():
        if not issubclass(cls, VideoFilter):
            continue
        effect = cls()

        def run(i: int, effect: VideoFilter = effect) -> Image:
            ctx = contexts[i]
            faces = ctx.faces
            out = effect.process(frames[i], ctx)
            ctx.replace_faces(faces)
            return out

        _row(cls.id, _timed(run, count))
    tracker.close()
    segmenter.close()


def _chain(label: str, filters: list[VideoFilter], frames: list[Image], count: int) -> None:
    pipeline = Pipeline(filters)
    _row(label, _timed(lambda i: pipeline.process(frames[i], timestamp=i / 30.0), count))
    pipeline.close()


def _chains(frames: list[Image], count: int) -> None:
    default = next(p for p in presets.builtin() if p.name == DEFAULT_PRESET)
    _chain("chain: empty", [], frames, count)
    _chain("chain: default beauty", default.video_filters(), frames, count)
    blur = registry.create("background.blur")
    assert isinstance(blur, VideoFilter)
    _chain("chain: default + background blur", [*default.video_filters(), blur], frames, count)
    for preset in presets.builtin():
        if preset.name != DEFAULT_PRESET:
            _chain(f"preset: {preset.name}", preset.video_filters(), frames, count)


def main() -> None:
    cv2.setNumThreads(1)
    count = _frames()
    print(f"filters benchmark: one thread, {count} frames per row (after {WARMUP} warm-up)")
    _calibration()
    for name, (width, height) in RESOLUTIONS.items():
        clip = SyntheticFaceClip(width, height)
        frames = [clip.frame(i) for i in range(WARMUP + count)]
        print(f"\n{name} ({width}x{height})" + " " * 17 + "median ms   p99 ms   CPU ms       fps")
        _per_filter(clip, frames, count)
        _chains(frames, count)


if __name__ == "__main__":
    main()
