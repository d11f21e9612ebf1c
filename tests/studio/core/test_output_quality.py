"""Output quality: the choice rule on given per-frame costs, the cap beneath which the network
adapts, stepping down, and the measurement on real frames with the real effects and encoder."""

from __future__ import annotations

import pytest

from filters import registry
from filters.base import VideoFilter
from studio.core import output_quality
from studio.core.broadcast import Broadcast, LiveTarget
from studio.core.output_quality import AUTO, BY_KEY, auto_choice, offered, resolve, step_down
from studio.core.quality import LEVELS, Condition, QualityController
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource

FAST = {"1080p30": 20.0, "720p60": 11.0, "720p30": 11.0, "480p30": 5.0}
MIDDLE = {"1080p30": 40.0, "720p60": 18.0, "720p30": 18.0, "480p30": 8.0}
SLOW = {"1080p30": 90.0, "720p60": 45.0, "720p30": 45.0, "480p30": 30.0}
EXCELLENT, GOOD, FAIR = LEVELS[Condition.EXCELLENT], LEVELS[Condition.GOOD], LEVELS[Condition.FAIR]


def keys(modes: list[output_quality.OutputMode]) -> list[str]:
    return [m.key for m in modes]


def test_auto_picks_the_largest_thirty_fps_mode_with_headroom() -> None:
    assert auto_choice(FAST).key == "1080p30"  # 20 ms of a 33 ms frame: 60 % of it
    assert auto_choice(MIDDLE).key == "720p30"  # 40 ms does not fit 1080p30's 25 ms budget
    assert auto_choice(SLOW).key == "480p30"  # nothing fits: the smallest, not nothing
    assert auto_choice({"480p30": 8.0}).key == "480p30"  # larger sizes were not measured
    assert auto_choice({}).key == "720p30"  # not measured yet


def test_sixty_fps_is_offered_only_where_the_cpu_allows() -> None:
    assert keys(offered(FAST)) == ["1080p30", "720p60", "720p30", "480p30"]
    assert keys(offered(MIDDLE)) == ["1080p30", "720p30", "480p30"]  # 18 ms > 12.5 ms
    assert "720p60" not in keys(offered({}))


def test_a_stored_choice_resolves_to_a_mode() -> None:
    assert resolve(AUTO, MIDDLE).key == "720p30"
    assert resolve("1080p30", SLOW).key == "1080p30"  # a person's explicit choice stands
    assert resolve("720p60", FAST).key == "720p60"
    assert resolve("720p60", MIDDLE).key == "720p30"  # no longer offered here: Auto
    assert resolve("4k120", FAST).key == "1080p30"  # unknown (a newer app's): Auto
    assert output_quality.applies("720p60", MIDDLE) == AUTO  # the menu shows Auto chosen
    assert output_quality.applies("480p30", MIDDLE) == "480p30"


def test_the_output_caps_what_the_network_allows() -> None:
    hd = BY_KEY["720p30"]
    capped = hd.cap(EXCELLENT)  # the network allows 1080p: the output setting decides
    assert (capped.height, capped.fps, capped.bitrate) == (720, 30.0, 1_500_000)
    assert hd.cap(FAIR) == FAIR  # below the ceiling the network's adaptation stands
    sixty = BY_KEY["720p60"].cap(EXCELLENT)
    assert (sixty.height, sixty.fps) == (720, 60.0)
    assert BY_KEY["720p60"].cap(GOOD) == GOOD  # 1–2 Mbps: 720p at 30 fps, the network's
    low = BY_KEY["480p30"].cap(LEVELS[Condition.POOR])
    assert (low.height, low.fps) == (360, 15.0)


def test_stepping_down_skips_modes_that_would_publish_the_same() -> None:
    step = step_down(BY_KEY["1080p30"], EXCELLENT)
    assert step is not None and step.key == "720p60"
    step = step_down(BY_KEY["1080p30"], GOOD)  # already 720p30 because of the network
    assert step is not None and step.key == "480p30"
    assert step_down(BY_KEY["720p30"], FAIR) is None  # the network already holds it at 480p
    assert step_down(BY_KEY["480p30"], EXCELLENT) is None  # the bottom


def test_a_stored_measurement_is_cleaned() -> None:
    stored: dict[str, object] = {"720p30": 18, "1080p30": "fast", "480p30": -1, "8k": 3.0}
    assert output_quality.cleaned(stored) == {"720p30": 18.0}
    assert output_quality.cleaned({"720p30": True}) == {}


async def test_the_output_mode_bounds_the_program_and_the_network_only_what_is_sent() -> None:
    broadcast = Broadcast()
    broadcast.use_source(SampleSource(1920, 1080), SAMPLE)
    flow = broadcast.flow
    assert flow is not None and flow.max_size is None  # not live: the source's own size
    network = QualityController(start=Condition.EXCELLENT)  # would allow 1080p
    try:
        publisher = await broadcast.go_live(
            LiveTarget("http://127.0.0.1:9/whip/x"),
            output=BY_KEY["720p30"],
            quality=network,
            audio=None,
        )
        assert flow.max_size == (1280, 720) and publisher.level.fps == 30.0
        broadcast.lower_output(BY_KEY["480p30"])  # "Lower quality" while live
        assert flow.max_size == (852, 480) and publisher.status.level.label == "480p · 30 fps"
        network.condition = Condition.POOR  # the network still adapts beneath it ...
        assert publisher.level.height == 360 and publisher.level.fps == 15.0
        assert flow.max_size == (852, 480)  # ... in what is sent, not in the program
        await broadcast.end()
        assert flow.max_size is None
    finally:
        await broadcast.close()


def smoothing() -> list[VideoFilter]:
    effect = registry.create("beauty.smooth")
    assert isinstance(effect, VideoFilter)
    return [effect]


def test_measuring_runs_the_effects_and_the_encoder_at_each_size() -> None:
    frame = SampleSource(1280, 720).read()
    assert frame is not None
    progress: list[float] = []
    measured = output_quality.measure(
        frame.image, smoothing(), "vp8", frames=1, warmup=1, on_progress=progress.append
    )
    if len(measured) == len(BY_KEY):
        assert measured["720p60"] == measured["720p30"]  # one size, two frame rates
    assert "480p30" in measured and all(cost > 0 for cost in measured.values())
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_measuring_stops_at_the_first_size_too_slow_for_thirty_fps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(output_quality, "HEADROOM", 1e-6)  # every size is "too slow"
    frame = SampleSource(640, 360).read()
    assert frame is not None
    measured = output_quality.measure(frame.image, [], "h264", frames=1, warmup=0)
    assert list(measured) == ["480p30"]
    assert auto_choice(measured).key == "480p30"


def test_measuring_needs_frames() -> None:
    with pytest.raises(ValueError, match="at least one frame"):
        output_quality.measure(SampleSource(64, 36).read().image, [], "vp8", frames=0)  # type: ignore[union-attr]
