"""The outgoing video track's pacing: a level's frame rate, whatever the source's jitter."""

from __future__ import annotations

from studio.core.video_track import FramePacer

SOURCE_FPS = 30.0


def admitted(times: list[float], fps: float) -> int:
    pacer = FramePacer()
    return sum(pacer.admits(at, fps) for at in times)


def jittery(seconds: float) -> list[float]:
    """30 fps capture times where every third frame is 20 ms late and the next one on time
    (its capture waited for the slow effects of the one before), as the studio's flow does."""
    frames = int(seconds * SOURCE_FPS)
    return [i / SOURCE_FPS + (0.020 if i % 3 == 1 else 0.0) for i in range(frames)]


def test_a_late_frame_does_not_cost_the_next_one() -> None:
    times = jittery(10)
    assert admitted(times, SOURCE_FPS) == len(times)


def test_a_lower_level_gets_its_own_rate_from_a_jittery_source() -> None:
    for fps in (15.0, 20.0, 10.0):
        sent = admitted(jittery(20), fps)
        assert abs(sent - fps * 20) <= 2, (fps, sent)  # the bucket's burst at the start


def test_after_a_pause_only_a_short_burst() -> None:
    pacer = FramePacer()
    before = [i / SOURCE_FPS for i in range(30)]
    after = [5.0 + i / SOURCE_FPS for i in range(30)]
    assert sum(pacer.admits(at, 15.0) for at in before) in (15, 16)
    burst = [pacer.admits(at, 15.0) for at in after[:4]]
    assert burst == [True, True, True, False]  # the burst is two frames' worth, no more
