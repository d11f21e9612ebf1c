"""The keep-up rule: frames sent well under the target for several reports in a row is one
episode, said once; it ends after the rate has recovered for a while."""

from __future__ import annotations

from studio.core.keep_up import KeepUp, KeepUpWatch


def feed(watch: KeepUpWatch, fps: float, times: int, target: float = 30.0) -> list[KeepUp]:
    changes = [watch.update(fps, target) for _ in range(times)]
    return [c for c in changes if c is not None]


def test_a_few_slow_reports_are_not_an_episode() -> None:
    watch = KeepUpWatch(struggling_after=4, recovered_after=3)
    assert feed(watch, 12.0, 3) == []
    assert feed(watch, 29.0, 1) == []  # one good report breaks the run
    assert feed(watch, 12.0, 3) == [] and not watch.struggling
    assert feed(watch, 22.0, 10) == []  # 73 % of the target: slower, but not struggling


def test_an_episode_is_said_once_and_ends_when_the_rate_recovers() -> None:
    watch = KeepUpWatch(struggling_after=4, recovered_after=3)
    assert feed(watch, 10.0, 4) == [KeepUp.STRUGGLING]
    assert feed(watch, 10.0, 20) == []  # no nagging while it lasts
    assert feed(watch, 24.0, 10) == []  # better, not recovered (80 %)
    assert feed(watch, 28.0, 2) == []
    assert feed(watch, 28.0, 1) == [KeepUp.RECOVERED]
    assert feed(watch, 9.0, 4) == [KeepUp.STRUGGLING]  # a new episode may be said again


def test_the_target_is_the_rate_wanted_and_a_reset_starts_afresh() -> None:
    watch = KeepUpWatch(struggling_after=4, recovered_after=3)
    assert feed(watch, 14.0, 8, target=15.0) == []  # a poor link sends 15 fps on purpose
    assert feed(watch, 0.0, 8, target=0.0) == []  # no target (not sending): nothing to judge
    assert feed(watch, 10.0, 3) == []
    watch.reset()  # the person lowered the quality
    assert feed(watch, 10.0, 3) == [] and feed(watch, 10.0, 1) == [KeepUp.STRUGGLING]
    watch.reset()
    assert not watch.struggling
