from typing import ClassVar

import numpy as np

from filters.base import Category, VideoFilter
from filters.context import Face, FaceTracker, FrameContext
from filters.params import Param, amount
from filters.pipeline import FACE_TRACKING, FilterFailure, Pipeline
from filters.synthetic import SyntheticFaceClip
from filters.types import ColourMap, Image
from filters.video.makeup import Eyeshadow


class Invert(VideoFilter):
    id = "overlay.test_invert"
    name = "Invert"
    category = Category.OVERLAY
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        return 255 - frame


class Boom(VideoFilter):
    id = "overlay.test_boom"
    name = "Boom"
    category = Category.OVERLAY
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)

    def __init__(self, fail_at: int = 0) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.calls = 0

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        self.calls += 1
        if ctx.index >= self.fail_at:
            raise RuntimeError("kaboom")
        return frame


class Scribble(VideoFilter):
    """Writes into its input (forbidden) and returns the wrong shape."""

    id = "overlay.test_scribble"
    name = "Scribble"
    category = Category.OVERLAY
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        return frame[:10]


class Events(VideoFilter):
    id = "overlay.test_events"
    name = "Events"
    category = Category.OVERLAY
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)
    seen: ClassVar[list[list[str]]] = []

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        Events.seen.append([e.name for e in ctx.events])
        return frame


def _frame() -> Image:
    return np.random.default_rng(1).integers(0, 255, (36, 64, 3), dtype=np.uint8)


def test_chain_order_and_timings() -> None:
    frame = _frame()
    pipeline = Pipeline([Invert(), Invert(), Invert()])
    out = pipeline.process(frame)
    assert np.array_equal(out, 255 - frame)
    timings = pipeline.timings()
    assert [t["id"] for t in timings] == ["overlay.test_invert"] * 3 + ["total"]
    assert all(t["last_ms"] >= 0.0 for t in timings)


def test_failing_filter_is_switched_off_and_frames_flow() -> None:
    reported: list[FilterFailure] = []
    boom = Boom(fail_at=2)
    pipeline = Pipeline([Invert(), boom, Invert()], on_failure=reported.append)
    frame = _frame()
    outputs = [pipeline.process(frame) for _ in range(5)]
    assert all(np.array_equal(out, frame) for out in outputs)
    assert boom.calls == 3
    assert len(reported) == 1 and pipeline.failures == reported
    failure = reported[0]
    assert failure.filter_id == "overlay.test_boom"
    assert failure.position == 1 and failure.frame_index == 2
    assert "kaboom" in failure.error and "RuntimeError" in failure.traceback
    assert not pipeline.enabled(1)
    pipeline.set_enabled(1, True)
    pipeline.process(frame)
    assert len(pipeline.failures) == 2


def test_wrong_output_is_a_failure_and_input_is_never_modified() -> None:
    frame = _frame()
    before = frame.copy()
    pipeline = Pipeline([Scribble(), Invert()])
    out = pipeline.process(frame)
    assert np.array_equal(frame, before)
    assert np.array_equal(out, 255 - frame)
    assert "expected a" in pipeline.failures[0].error


def test_neutral_and_disabled_filters_are_skipped() -> None:
    frame = _frame()
    pipeline = Pipeline([Invert(amount=0.0), Invert()])
    pipeline.set_enabled(1, False)
    assert pipeline.process(frame) is frame


def test_editing_the_chain() -> None:
    pipeline = Pipeline()
    first, second = Invert(), Boom(fail_at=99)
    pipeline.add(first)
    pipeline.add(second, position=0)
    assert pipeline.filters == [second, first]
    pipeline.move(0, 1)
    assert pipeline.filters == [first, second]
    assert pipeline.remove(0) is first
    pipeline.set_filters([first])
    assert pipeline.filters == [first]


def test_triggers_are_delivered_once() -> None:
    Events.seen.clear()
    pipeline = Pipeline([Events()])
    pipeline.trigger("gift", quantity=3)
    pipeline.process(_frame())
    pipeline.process(_frame())
    assert Events.seen == [["gift"], []]


def test_failing_failure_callback_does_not_break_frames() -> None:
    def explode(_: FilterFailure) -> None:
        raise ValueError("callback")

    pipeline = Pipeline([Boom()], on_failure=explode)
    frame = _frame()
    assert np.array_equal(pipeline.process(frame), frame)


class CountLandmarks(VideoFilter):
    id = "overlay.test_count_landmarks"
    name = "Count landmarks"
    category = Category.OVERLAY
    needs = ("face",)
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)
    counts: ClassVar[list[int]] = []

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        CountLandmarks.counts.extend(len(face.points) for face in ctx.faces)
        return frame


def test_the_refined_face_model_runs_only_when_a_filter_asks_for_it() -> None:
    frame = SyntheticFaceClip(640, 360).frame(0)
    pipeline = Pipeline([CountLandmarks()])
    pipeline.process(frame)
    pipeline.add(Eyeshadow())
    pipeline.process(frame)
    pipeline.set_enabled(1, False)
    pipeline.process(frame)
    pipeline.close()
    assert CountLandmarks.counts == [468, 478, 468]


class FacesProbe(VideoFilter):
    """Records whether the faces were already known when the filter ran."""

    id = "overlay.test_faces_probe"
    name = "Faces probe"
    category = Category.OVERLAY
    needs = ("face",)
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)
    known: ClassVar[list[bool]] = []

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        FacesProbe.known.append(ctx.known_faces is not None)
        return frame if ctx.faces is not None else 255 - frame


def test_faces_are_tracked_before_the_filters_on_a_row_of_their_own() -> None:
    frame = SyntheticFaceClip(640, 360).frame(0)
    FacesProbe.known.clear()
    pipeline = Pipeline([Invert(), FacesProbe()])
    for index in range(3):
        pipeline.process(frame, timestamp=index / 30)
    assert FacesProbe.known == [True] * 3  # tracking is not charged to the first filter
    rows = [row["id"] for row in pipeline.timings()]
    assert rows == ["overlay.test_invert", "overlay.test_faces_probe", FACE_TRACKING, "total"]
    pipeline.close()


def test_a_failing_tracker_switches_off_only_the_filters_that_need_faces() -> None:
    class BrokenTracker(FaceTracker):
        def detect(self, frame: Image, time: float | None = None) -> list[Face]:
            raise RuntimeError("no model")

    pipeline = Pipeline([Invert(), FacesProbe()])
    pipeline._tracker = BrokenTracker(refined=False)
    frame = _frame()
    out = pipeline.process(frame)
    assert np.array_equal(out, 255 - frame)
    assert [f.filter_id for f in pipeline.failures] == ["overlay.test_faces_probe"]
    pipeline.close()


class Darken(VideoFilter):
    """A look: halves every value, and counts the pixels it grades."""

    id = "color.test_darken"
    name = "Darken"
    category = Category.COLOR
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)

    def __init__(self) -> None:
        super().__init__()
        self.graded_pixels = 0

    def colour_map(self) -> ColourMap:
        def halve(image: Image, *, dst: Image | None = None) -> Image:
            self.graded_pixels += image.shape[0] * image.shape[1]
            return np.right_shift(image, 1, out=dst)

        return halve

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        return self.colour_map()(frame)


class Cutout(VideoFilter):
    """A background effect: keeps the left half (the "person"), puts grey behind."""

    id = "background.test_cutout"
    name = "Cutout"
    category = Category.BACKGROUND
    folds_colour_maps = True
    params: ClassVar[tuple[Param, ...]] = (amount("amount", "Amount", 100.0),)

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        out = ctx.writable(frame)
        kept = out[:, : frame.shape[1] // 2]
        ctx.graded(kept, dst=kept)
        out[:, frame.shape[1] // 2 :] = 128
        return out


class BrokenCutout(Cutout):
    id = "background.test_broken_cutout"

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        raise RuntimeError("no mask")


def _cutout(frame: Image) -> Image:
    out = frame.copy()
    out[:, frame.shape[1] // 2 :] = 128
    return out


def test_a_look_before_a_background_effect_grades_only_what_the_effect_keeps() -> None:
    frame = _frame()
    first, second = Darken(), Darken()
    pipeline = Pipeline([first, second, Cutout()])
    out = pipeline.process(frame)
    assert np.array_equal(out, _cutout(frame >> 2))
    kept = frame.shape[0] * frame.shape[1] // 2
    assert first.graded_pixels == second.graded_pixels == kept
    rows = [row["id"] for row in pipeline.timings()]
    assert rows == ["color.test_darken"] * 2 + ["background.test_cutout", "total"]


def test_a_look_before_any_other_filter_grades_the_whole_frame() -> None:
    frame = _frame()
    look = Darken()
    out = Pipeline([look, Invert(), Cutout()]).process(frame)
    assert np.array_equal(out, _cutout(255 - (frame >> 1)))
    assert look.graded_pixels == frame.shape[0] * frame.shape[1]


def test_a_look_folded_into_a_failing_effect_still_grades_the_frame() -> None:
    frame = _frame()
    look = Darken()
    pipeline = Pipeline([look, BrokenCutout()])
    assert np.array_equal(pipeline.process(frame), frame >> 1)
    assert [f.filter_id for f in pipeline.failures] == ["background.test_broken_cutout"]
    assert pipeline.enabled(0) and not pipeline.enabled(1)
    assert np.array_equal(pipeline.process(frame), frame >> 1)


def test_a_look_that_cannot_make_its_colour_map_is_switched_off() -> None:
    class MissingLook(Darken):
        id = "color.test_missing_look"

        def colour_map(self) -> ColourMap:
            raise FileNotFoundError("no such .cube")

    frame = _frame()
    pipeline = Pipeline([MissingLook(), Cutout()])
    assert np.array_equal(pipeline.process(frame), _cutout(frame))
    assert [f.filter_id for f in pipeline.failures] == ["color.test_missing_look"]
    assert "no such .cube" in pipeline.failures[0].error


def test_without_a_background_effect_a_look_makes_its_map_once_a_frame() -> None:
    class CountedLook(Darken):
        id = "color.test_counted_look"
        maps_made = 0

        def colour_map(self) -> ColourMap:
            CountedLook.maps_made += 1
            return super().colour_map()

    pipeline = Pipeline([CountedLook(), Invert()])
    for _ in range(3):
        pipeline.process(_frame())
    assert CountedLook.maps_made == 3  # by its own render only
