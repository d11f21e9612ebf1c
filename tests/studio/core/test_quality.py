"""The spec's table and the controller's hysteresis, sample by sample."""

from __future__ import annotations

import pytest

from studio.core.quality import LEVELS, Condition, NetworkSample, QualityController, classify

CLEAN = NetworkSample(rtt_ms=5.0, loss_pct=0.0, bitrate_kbps=1400.0)
BAD = NetworkSample(rtt_ms=320.0, loss_pct=12.0, bitrate_kbps=250.0)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (NetworkSample(20.0, 0.5, 2500.0), Condition.EXCELLENT),
        (NetworkSample(75.0, 0.5, 2500.0), Condition.GOOD),
        (NetworkSample(20.0, 2.0, 1500.0), Condition.GOOD),
        (NetworkSample(150.0, 0.0, 3000.0), Condition.FAIR),
        (NetworkSample(20.0, 4.0, 3000.0), Condition.FAIR),
        (NetworkSample(250.0, 0.0, 3000.0), Condition.POOR),
        (NetworkSample(20.0, 8.0, 3000.0), Condition.POOR),
        # congested: the delivered bitrate caps the condition
        (NetworkSample(60.0, 0.0, 700.0), Condition.FAIR),
        (NetworkSample(20.0, 1.5, 400.0), Condition.POOR),
        # clean: our own low send rate says nothing about the link
        (NetworkSample(10.0, 0.0, 300.0), Condition.EXCELLENT),
        (NetworkSample(None, 0.0, 0.0), Condition.EXCELLENT),
    ],
)
def test_classify_follows_the_spec_table(sample: NetworkSample, expected: Condition) -> None:
    assert classify(sample) is expected


def test_levels_match_the_spec() -> None:
    assert [LEVELS[c].height for c in Condition] == [360, 480, 720, 1080]
    assert LEVELS[Condition.EXCELLENT].size_for(1280, 720) == (1280, 720)  # never upscaled
    assert LEVELS[Condition.FAIR].size_for(1280, 720) == (852, 480)


def test_one_bad_sample_is_not_enough_to_drop() -> None:
    controller = QualityController(start=Condition.GOOD)
    assert controller.update(BAD) is None
    assert controller.update(CLEAN) is None
    assert controller.condition is Condition.GOOD


def test_drops_straight_to_what_the_link_supports_then_climbs_one_level_at_a_time() -> None:
    controller = QualityController(start=Condition.GOOD, down_after=2, up_after=3)
    changes = [controller.update(s) for s in [BAD, BAD]]
    assert changes[-1] == LEVELS[Condition.POOR]
    climbed = [controller.update(CLEAN) for _ in range(9)]
    assert [level.name for level in climbed if level] == ["sd", "hd", "fullhd"]


def test_a_failed_upgrade_makes_the_next_one_wait_longer() -> None:
    controller = QualityController(start=Condition.FAIR, down_after=1, up_after=2)
    fair = NetworkSample(150.0, 0.0, 900.0)
    assert [controller.update(CLEAN) for _ in range(2)][-1] == LEVELS[Condition.GOOD]
    assert controller.update(fair) == LEVELS[Condition.FAIR]  # the probe failed
    ups = [controller.update(CLEAN) for _ in range(4)]
    assert ups[:3] == [None, None, None] and ups[3] == LEVELS[Condition.GOOD]


def test_highest_caps_the_level() -> None:
    controller = QualityController(start=Condition.FAIR, highest=Condition.GOOD, up_after=1)
    for _ in range(5):
        controller.update(CLEAN)
    assert controller.condition is Condition.GOOD
