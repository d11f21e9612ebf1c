"""Effect timings on one thread: per filter and whole chains at 360p, 720p and 1080p.

    onair bench filters          (or: python -m bench.filters)

Prints median / p99 wall milliseconds, the median CPU milliseconds of the process and
frames per second; asserts nothing. At 720p (the resolution the targets are set at) each row
runs its frames in three passes and also prints the *steady tail*: over frames' best of their
three passes, p99 ÷ median. This machine runs slow for spells of ~100 ms at random
(a fixed ``cv2`` workload on one frame reads p99 1.1-1.4x its median); a frame whose content
costs more is slow in every pass and still counts, a spell falls on one pass and does not.
CPU time counts every thread of the process (MediaPipe runs its graphs on threads of its
own, which ``thread_time`` would miss); on a shared machine it is the figure to compare, as
it excludes waiting for the CPU. Frames come from the synthetic face clip. Per-filter rows
exclude face tracking and segmentation (shown on their own rows); chain rows are the whole
``Pipeline.process`` including them. The "look" rows compare a 3D LUT's table lookup with
the atlas remap it replaced and with one ``cv2.LUT`` pass, in the same run; the "refined
model" rows the refined landmark model in LiteRT with the MediaPipe graph it replaced, on
the same crops.
``ONAIR_BENCH_FRAMES`` sets the frames per pass (default 200: a p99 of 40 frames is their
slowest one, which one hiccup of a shared machine makes; at 200 it is the 3rd slowest).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from filters import presets, registry
from filters.attention_mesh import AttentionMeshModel
from filters.base import VideoFilter
from filters.context import FaceTracker, FrameContext, PersonSegmenter
from filters.face_mesh import FaceMesh, FaceRegion, LandmarkModel, RefinedMeshModel
from filters.pipeline import Pipeline
from filters.synthetic import SyntheticFaceClip
from filters.types import Image
from filters.video.chat_overlay import ChatOverlay
from filters.video.color import look_path
from filters.video.lut import atlas_lut, compile_lut, read_cube

RESOLUTIONS = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080)}
PASSES = {"720p": 3}
"""Passes per row where the steady tail is printed; one elsewhere."""
WARMUP = 5
DEFAULT_PRESET = "Natural beauty"
SAMPLE_CHAT = [
    ("Noah", "hello from Lisbon!"),
    ("Mia", "that lighting looks great today"),
    ("", "Noah sent 5× Rose"),
    ("Ava", "what camera is that?"),
    ("Liam", "first time here, love the vibe"),
    ("Mia", "can you show the new lamp again?"),
]


def _frames() -> int:
    return max(5, int(os.environ.get("ONAIR_BENCH_FRAMES", "200")))


@dataclass(frozen=True)
class Sampling:
    frames: int
    passes: int = 1


Samples = tuple[np.ndarray, np.ndarray]
"""Wall and process-CPU seconds, one row per pass and one column per frame."""


def steady_tail(wall: np.ndarray) -> float:
    """p99 ÷ median over frames of each frame's best pass (``wall``: one row per pass)."""
    best = wall.min(axis=0)
    return float(np.percentile(best, 99) / np.median(best))


def _row(label: str, samples: Samples) -> None:
    wall, cpu = (values * 1000.0 for values in samples)
    median = float(np.median(wall))
    fps = 1000.0 / median if median > 0 else float("inf")
    p99, cpu_median = float(np.percentile(wall, 99)), float(np.median(cpu))
    steady = f"{steady_tail(wall):9.2f}x" if len(wall) > 1 else " " * 9 + "-"
    print(f"  {label:<34} {median:8.2f} {p99:8.2f} {steady} {cpu_median:8.2f} {fps:9.1f}")


def _timed(
    run: Callable[[int], object],
    sampling: Sampling,
    before: Callable[[int], object] = lambda _: None,
) -> Samples:
    """Wall and CPU time of ``run(index)`` over ``sampling``'s frames and passes, after a
    warm-up; ``before(index)`` runs first each time, untimed (what stands in for another
    part's work)."""
    for index in range(WARMUP):
        before(index)
        run(index)
    shape = (sampling.passes, sampling.frames)
    wall, cpu = np.zeros(shape), np.zeros(shape)
    for turn, column in itertools.product(range(sampling.passes), range(sampling.frames)):
        index = WARMUP + column
        before(index)
        started, started_cpu = time.perf_counter(), time.process_time()
        run(index)
        wall[turn, column] = time.perf_counter() - started
        cpu[turn, column] = time.process_time() - started_cpu
    return wall, cpu


def _calibration() -> None:
    frame = np.random.default_rng(0).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    table = np.arange(256, dtype=np.uint8)
    wall, cpu = _timed(lambda _: cv2.LUT(frame, table), Sampling(50))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"machine: cv2.LUT on a 720p frame takes {np.median(wall) * 1000:.2f} ms "
        f"({np.median(cpu) * 1000:.2f} ms CPU); load average {load}"
    )


def _per_filter(clip: SyntheticFaceClip, frames: list[Image], sampling: Sampling) -> None:
    base = FaceTracker(refined=False)
    _row("face tracking (base mesh)", _timed(lambda i: base.detect(frames[i]), sampling))
    base.close()
    tracker, segmenter = FaceTracker(), PersonSegmenter()
    contexts = [FrameContext(f, index=i, time=i / clip.fps, tracker=tracker, segmenter=segmenter)
                for i, f in enumerate(frames)]  # fmt: skip
    _row("face tracking (refined FaceMesh)", _timed(lambda i: tracker.detect(frames[i]), sampling))
    _refined_model_rows(frames, sampling)
    _row("person mask (selfie seg.)", _timed(lambda i: segmenter.mask(frames[i]), sampling))
    for ctx in contexts:
        _ = ctx.faces, ctx.person_mask()
    for cls in registry.all_filters():
        if not issubclass(cls, VideoFilter):
            continue
        effect = cls()
        if isinstance(effect, ChatOverlay):
            effect.set_lines(SAMPLE_CHAT)

        def run(i: int, effect: VideoFilter = effect) -> Image:
            ctx = contexts[i]
            faces = ctx.faces
            out = effect.process(frames[i], ctx)
            ctx.replace_faces(faces)
            return out

        _row(cls.id, _timed(run, sampling))
    _chat_arriving(frames, sampling)
    tracker.close()
    segmenter.close()


def _refined_model_rows(frames: list[Image], sampling: Sampling) -> None:
    """The refined landmark model alone on the same crops two ways: in LiteRT, cut around its
    custom operations (now), and through MediaPipe's ``FaceLandmarkCpu`` graph (before)."""
    mesh = FaceMesh(max_faces=1, max_side=640, static=True, refined=True)
    region = FaceRegion.of_landmarks(mesh.landmarks(frames[0])[0])
    mesh.close()
    models: list[tuple[str, LandmarkModel]] = [("graph (before)", RefinedMeshModel())]
    try:
        models.insert(0, ("LiteRT (now)", AttentionMeshModel()))
    except ImportError:
        print("  refined model: LiteRT is not installed here")
    for label, model in models:

        def run(i: int, model: LandmarkModel = model) -> object:
            return model.run(frames[i], region)

        _row(f"refined model: {label}", _timed(run, sampling))
        model.close()


def _chat_arriving(frames: list[Image], sampling: Sampling) -> None:
    """The chat overlay when a message arrives every frame (its box is drawn again each time;
    the ``overlay.chat`` row is the steady cost between messages)."""
    overlay = ChatOverlay()

    def run(i: int) -> Image:
        overlay.set_lines([*SAMPLE_CHAT[1:], ("Viewer", f"message number {i}")])
        return overlay.process(frames[i], FrameContext(frames[i], index=i))

    _row("overlay.chat, a message every frame", _timed(run, sampling))


COMPARED_LOOK = "cinematic"


def _look_rows(frames: list[Image], sampling: Sampling) -> None:
    """A 3D LUT look three ways in the same run: one ``cv2.LUT`` pass (what a per-channel
    look costs, the floor), the baked table of every colour (now) and the trilinear atlas
    remap it replaced (before, the same pixels), at full and half intensity."""
    cube = read_cube(look_path(COMPARED_LOOK))
    table, atlas = compile_lut(cube), atlas_lut(cube)
    identity = np.arange(256, dtype=np.uint8)
    _row("look: one cv2.LUT pass (floor)", _timed(lambda i: cv2.LUT(frames[i], identity), sampling))
    _row("look: table lookup (now)", _timed(lambda i: table.apply(frames[i]), sampling))
    _row("look: atlas remap (before)", _timed(lambda i: atlas.remap(frames[i]), sampling))
    _row("look 50%: mixed table (now)", _timed(lambda i: table.apply(frames[i], 0.5), sampling))

    def remap_and_mix(i: int) -> Image:
        return cv2.addWeighted(atlas.remap(frames[i]), 0.5, frames[i], 0.5, 0.0)

    _row("look 50%: remap + mix (before)", _timed(remap_and_mix, sampling))


def _chain(label: str, filters: list[VideoFilter], frames: list[Image], sampling: Sampling) -> None:
    pipeline, ticks = Pipeline(filters), itertools.count()
    timed = _timed(lambda i: pipeline.process(frames[i], timestamp=next(ticks) / 30.0), sampling)
    _row(label, timed)
    pipeline.close()


def _chains(frames: list[Image], sampling: Sampling) -> None:
    default = next(p for p in presets.builtin() if p.name == DEFAULT_PRESET)
    _chain("chain: empty", [], frames, sampling)
    _chain("chain: default beauty", default.video_filters(), frames, sampling)
    blur = registry.create("background.blur")
    assert isinstance(blur, VideoFilter)
    _chain("chain: default + background blur", [*default.video_filters(), blur], frames, sampling)
    for preset in presets.builtin():
        if preset.name != DEFAULT_PRESET:
            _chain(f"preset: {preset.name}", preset.video_filters(), frames, sampling)


def main() -> None:
    cv2.setNumThreads(1)
    count = _frames()
    print(
        f"filters benchmark: one thread, {count} frames per row (after {WARMUP} warm-up), "
        "in three passes at 720p"
    )
    _calibration()
    for name, (width, height) in RESOLUTIONS.items():
        clip = SyntheticFaceClip(width, height)
        frames = [clip.frame(i) for i in range(WARMUP + count)]
        sampling = Sampling(count, PASSES.get(name, 1))
        header = "median ms   p99 ms  steady tail  CPU ms       fps"
        print(f"\n{name} ({width}x{height})" + " " * 17 + header)
        _per_filter(clip, frames, sampling)
        _look_rows(frames, sampling)
        _chains(frames, sampling)


if __name__ == "__main__":
    main()
