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
from filters.types import Image

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
        for position, entry in active:
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
