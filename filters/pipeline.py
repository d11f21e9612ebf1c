"""Run an ordered chain of video filters with per-filter timings and failure containment."""

from __future__ import annotations

import logging
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from filters.base import VideoFilter
from filters.context import FaceTracker, FrameContext, PersonSegmenter, Trigger
from filters.types import ColourMap, Image

log = logging.getLogger(__name__)

TIMING_WINDOW = 120
MASK_REFRESH_EVERY = 2
"""The person mask is segmented afresh on every second frame (``PersonSegmenter``)."""
FACE_TRACKING, PERSON_MASK = "face_tracking", "person_mask"
"""Timing rows of the analysis the filters share (``Pipeline.timings``)."""


@dataclass(frozen=True)
class FilterFailure:
    """A filter that raised and was switched off."""

    position: int
    filter_id: str
    error: str
    traceback: str
    frame_index: int


@dataclass
class FilterTiming:
    """Recent per-frame times of one chain entry, in milliseconds."""

    filter_id: str
    samples: deque[float] = field(default_factory=lambda: deque(maxlen=TIMING_WINDOW))

    @property
    def last_ms(self) -> float:
        return self.samples[-1] if self.samples else 0.0

    @property
    def median_ms(self) -> float:
        return float(np.median(self.samples)) if self.samples else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.filter_id, "last_ms": self.last_ms, "median_ms": self.median_ms}


@dataclass
class _Entry:
    filter: VideoFilter
    enabled: bool = True
    timing: FilterTiming = field(init=False)

    def __post_init__(self) -> None:
        self.timing = FilterTiming(self.filter.id)


class Pipeline:
    """An ordered chain of video filters sharing one face tracker and one segmenter.

    ``process`` never raises because of a filter: a filter that raises is switched off,
    reported through ``failures`` and ``on_failure``, and the frame continues through the
    rest of the chain. Neutral filters (no visible effect) are skipped.

    Faces and the person mask are computed before the filters run, when an active filter
    needs them, and timed on their own rows: a filter's time is its own work, not the
    tracking it happened to trigger first.

    Colour looks directly before a background effect that grades only what it keeps
    (``VideoFilter.folds_colour_maps``) are folded into it: the effect grades the person
    and its own background instead of the look grading the whole frame, most of which the
    effect then replaces. A replacement picture is never graded, so the frame is the same;
    a blur's background is graded on its reduced copy, within a level or two.
    """

    def __init__(
        self,
        filters: Iterable[VideoFilter] = (),
        *,
        max_faces: int = 1,
        on_failure: Callable[[FilterFailure], None] | None = None,
    ) -> None:
        self._entries = [_Entry(f) for f in filters]
        self._max_faces = max_faces
        self._tracker: FaceTracker | None = None
        self._segmenter: PersonSegmenter | None = None
        self._pending: list[Trigger] = []
        self._index = 0
        self._start = time.monotonic()
        self.failures: list[FilterFailure] = []
        self.on_failure = on_failure
        self.total = FilterTiming("total")
        self.analysis = {name: FilterTiming(name) for name in (FACE_TRACKING, PERSON_MASK)}

    # chain editing -----------------------------------------------------------------
    @property
    def filters(self) -> list[VideoFilter]:
        return [entry.filter for entry in self._entries]

    def set_filters(self, filters: Iterable[VideoFilter]) -> None:
        """Replace the chain (timings restart; tracker and segmenter are kept)."""
        self._entries = [_Entry(f) for f in filters]

    def add(self, video_filter: VideoFilter, position: int | None = None) -> None:
        entry = _Entry(video_filter)
        if position is None:
            self._entries.append(entry)
        else:
            self._entries.insert(position, entry)

    def remove(self, position: int) -> VideoFilter:
        return self._entries.pop(position).filter

    def move(self, source: int, target: int) -> None:
        self._entries.insert(target, self._entries.pop(source))

    def enabled(self, position: int) -> bool:
        return self._entries[position].enabled

    def set_enabled(self, position: int, enabled: bool) -> None:
        """Switch a filter on or off (also re-enables a filter that failed)."""
        self._entries[position].enabled = enabled

    # events ------------------------------------------------------------------------
    def trigger(self, name: str, **data: Any) -> None:
        """Deliver a one-shot event (for example ``"gift"``) to the filters with the next frame."""
        self._pending.append(Trigger(name, data))

    # processing --------------------------------------------------------------------
    def process(self, frame: Image, timestamp: float | None = None) -> Image:
        """Run the chain on a BGR uint8 frame; ``frame`` itself is never modified."""
        started = time.perf_counter()
        ctx = self._context(frame, timestamp)
        active = [
            (position, entry)
            for position, entry in enumerate(self._entries)
            if entry.enabled and not entry.filter.is_neutral()
        ]
        self._analyse(ctx, {need for _, entry in active for need in entry.filter.needs})
        out = frame
        for position, entry, folded in self._fold_looks(active, ctx.index):
            if folded:
                out = self._run_folding(position, entry, folded, out, ctx)
            else:
                out = self._run(position, entry, out, ctx)
        self._index += 1
        self.total.samples.append((time.perf_counter() - started) * 1000.0)
        return out

    def timings(self) -> list[dict[str, Any]]:
        """Per-filter last and median milliseconds in chain order, then face tracking and
        the person mask (when the chain uses them), then the total."""
        analysis = [timing.as_dict() for timing in self.analysis.values() if timing.samples]
        return (
            [entry.timing.as_dict() for entry in self._entries] + analysis + [self.total.as_dict()]
        )

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.close()
        if self._segmenter is not None:
            self._segmenter.close()
        self._tracker = self._segmenter = None

    def _context(self, frame: Image, timestamp: float | None) -> FrameContext:
        needs = {need for e in self._entries if e.enabled for need in e.filter.needs}
        refined = "refined" in needs
        stale = self._tracker is None or self._tracker.refined != refined
        if ("face" in needs or refined) and stale:
            if self._tracker is not None:
                self._tracker.close()
            self._tracker = FaceTracker(max_faces=self._max_faces, refined=refined)
        if "person_mask" in needs and self._segmenter is None:
            self._segmenter = PersonSegmenter(refresh_every=MASK_REFRESH_EVERY)
        events, self._pending = self._pending, []
        now = time.monotonic() - self._start if timestamp is None else timestamp
        return FrameContext(
            frame,
            index=self._index,
            time=now,
            tracker=self._tracker,
            segmenter=self._segmenter,
            events=events,
            reuse_buffers=True,
        )

    def _analyse(self, ctx: FrameContext, needs: set[str]) -> None:
        if "face" in needs or "refined" in needs:
            _timed(self.analysis[FACE_TRACKING], lambda: ctx.faces)
        if "person_mask" in needs:
            _timed(self.analysis[PERSON_MASK], ctx.person_mask_small)

    def _fold_looks(self, active: list[tuple[int, _Entry]], index: int) -> list[_Step]:
        """The chain as steps: each look (``VideoFilter.colour_map``) directly before a
        background effect that grades only what it keeps is folded into that effect's
        step; every other filter is a step of its own. Looks are asked for their colour
        maps only when a chain has such an effect to fold them into."""
        if not any(entry.filter.folds_colour_maps for _, entry in active):
            return [(position, entry, []) for position, entry in active]
        steps: list[_Step] = []
        held: list[_Fold] = []
        for position, entry in active:
            colour_map = self._colour_map(position, entry, index)
            if not entry.enabled:
                continue
            if colour_map is not None:
                held.append((position, entry, colour_map))
                continue
            if not entry.filter.folds_colour_maps:
                steps += _unfolded(held)
                held = []
            steps.append((position, entry, held))
            held = []
        return steps + _unfolded(held)

    def _colour_map(self, position: int, entry: _Entry, index: int) -> ColourMap | None:
        """The filter's colour map (``None`` when it has none, or failed to make one)."""
        started = time.perf_counter()
        try:
            return entry.filter.colour_map()
        except Exception as exc:
            self._fail(position, entry, exc, index)
            entry.timing.samples.append((time.perf_counter() - started) * 1000.0)
            return None

    def _run_folding(
        self, position: int, entry: _Entry, folded: list[_Fold], frame: Image, ctx: FrameContext
    ) -> Image:
        """Run a background effect with the looks folded into it. Each look's row gets the
        time spent grading, taken off the effect's row. Should the effect fail, the looks
        still grade the frame, one by one."""
        looks = [
            (look_position, look, _TimedMap(colour_map))
            for look_position, look, colour_map in folded
        ]
        ctx.colour_maps = tuple(timed for _, _, timed in looks)
        try:
            out = self._run(position, entry, frame, ctx)
        finally:
            ctx.colour_maps = ()
        if not entry.enabled:  # it failed: the frame came back as it went in
            for look_position, look, _ in looks:
                out = self._run(look_position, look, out, ctx)
            return out
        for _, look, timed in looks:
            look.timing.samples.append(timed.seconds * 1000.0)
            entry.timing.samples[-1] -= timed.seconds * 1000.0
        return out

    def _run(self, position: int, entry: _Entry, frame: Image, ctx: FrameContext) -> Image:
        started = time.perf_counter()
        try:
            out = entry.filter.process(frame, ctx)
            _check_frame(out, frame)
        except Exception as exc:
            self._fail(position, entry, exc, ctx.index)
            return frame
        finally:
            entry.timing.samples.append((time.perf_counter() - started) * 1000.0)
        return out

    def _fail(self, position: int, entry: _Entry, exc: Exception, index: int) -> None:
        entry.enabled = False
        failure = FilterFailure(
            position=position,
            filter_id=entry.filter.id,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
            frame_index=index,
        )
        self.failures.append(failure)
        log.error("filter %s failed and was switched off: %s", failure.filter_id, failure.error)
        if self.on_failure is not None:
            try:
                self.on_failure(failure)
            except Exception:
                log.exception("on_failure callback raised")


class _TimedMap:
    """A colour map that adds up the time spent in it."""

    def __init__(self, colour_map: ColourMap) -> None:
        self._colour_map = colour_map
        self.seconds = 0.0

    def __call__(self, image: Image, *, dst: Image | None = None) -> Image:
        started = time.perf_counter()
        try:
            return self._colour_map(image, dst=dst)
        finally:
            self.seconds += time.perf_counter() - started


_Fold = tuple[int, _Entry, ColourMap]
"""A look folded into the background effect after it: position, entry and colour map."""
_Step = tuple[int, _Entry, list[_Fold]]
"""A filter to run, with the looks folded into it."""


def _unfolded(looks: list[_Fold]) -> list[_Step]:
    return [(position, entry, []) for position, entry, _ in looks]


def _timed(timing: FilterTiming, compute: Callable[[], object]) -> None:
    started = time.perf_counter()
    try:
        compute()
    except Exception:  # each filter that needs it meets the error again, and is switched off
        pass
    finally:
        timing.samples.append((time.perf_counter() - started) * 1000.0)


def _check_frame(out: Any, frame: Image) -> None:
    if not isinstance(out, np.ndarray) or out.shape != frame.shape or out.dtype != frame.dtype:
        got = getattr(out, "shape", type(out).__name__)
        raise TypeError(f"filter returned {got}, expected a {frame.shape} {frame.dtype} frame")
