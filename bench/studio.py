"""`onair bench studio`: the live studio end to end, as a streamer runs it (issue 23).

The real engine (:class:`studio.core.broadcast.Broadcast`: the sample source → the effect
chain → the VP8 encoder → WHIP) publishes to a backend in a process of its own, and one WHEP
viewer decodes every frame, for ``--seconds`` (60 by default) per scenario: 720p30 with the
*Glam* preset and 1080p30 with the default chain (*Natural beauty*). Printed per scenario: the
frame rates achieved (program, sent, decoded by the viewer), the frames dropped before any
output took them, the per-frame milliseconds of each stage (the effects chain's median, the
encoder's moving average sampled twice a second) and the costliest effects. Asserts nothing; the
machine's load average is printed with it, since other work slows every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import dataclass, field

from aiortc import MediaStreamTrack

from bench.media import live_studio, prioritize
from filters.assets import asset
from filters.presets import load
from rtc.loopback import use_loopback_for_ice
from studio.core.broadcast import Broadcast
from studio.core.quality import Condition, QualityController
from studio.core.sources import SampleSource
from studio.core.subscriber import WhepPlayer

WARM_UP_S = 3.0  # the first keyframe, models loading: not part of the figures
SAMPLE_EVERY_S = 0.5
FPS = 30.0


@dataclass(frozen=True)
class Scenario:
    """A resolution and a preset, live for the whole run at one pinned quality level."""

    label: str
    size: tuple[int, int]
    preset_file: str
    condition: Condition  # the quality level pinned for the whole run


SCENARIOS = (
    Scenario("720p30, Glam", (1280, 720), "glam.json", Condition.GOOD),
    Scenario("1080p30, default chain", (1920, 1080), "natural_beauty.json", Condition.EXCELLENT),
)


@dataclass
class Samples:
    encode_ms: list[float] = field(default_factory=list)
    sent_fps: list[float] = field(default_factory=list)


class FrameCounter:
    """Decodes every frame of a track and counts them."""

    def __init__(self, track: MediaStreamTrack) -> None:
        self.frames = 0
        self._task = asyncio.ensure_future(self._count(track))

    async def _count(self, track: MediaStreamTrack) -> None:
        while True:
            await track.recv()
            self.frames += 1

    def stop(self) -> None:
        self._task.cancel()


async def run_scenario(scenario: Scenario, seconds: float) -> None:
    preset = load(asset("presets", scenario.preset_file))
    broadcast = Broadcast()
    broadcast.chain.apply_preset(preset)
    source = SampleSource(*scenario.size, fps=FPS)
    quality = QualityController(scenario.condition, scenario.condition, down_after=10**9)
    async with live_studio(broadcast, source, quality=quality) as (url, name, token, publisher):
        flow = broadcast.flow
        assert flow is not None
        player = WhepPlayer(f"{url}/whep/{name}", token=token, kinds=("video",))
        await player.start()
        assert player.video is not None
        counter = FrameCounter(player.video)
        await asyncio.sleep(WARM_UP_S)
        processed, skipped, decoded = flow.stats.processed, flow.stats.skipped, counter.frames
        samples = Samples()
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            await asyncio.sleep(SAMPLE_EVERY_S)
            status = publisher.status
            samples.encode_ms.append(status.encode_ms)
            samples.sent_fps.append(status.fps)
        costs = broadcast.chain.costs()
        counter.stop()
        await player.stop()
    costliest = sorted(((e, ms) for e, ms in costs.items() if e != "total"), key=lambda c: -c[1])[
        :4
    ]
    print(f"studio live, {scenario.label} ({preset.name}), VP8, {elapsed:.0f} s, one WHEP viewer:")
    print(
        f"  fps: program {(flow.stats.processed - processed) / elapsed:.1f}, sent "
        f"{statistics.median(samples.sent_fps):.1f}, viewer decoded "
        f"{(counter.frames - decoded) / elapsed:.1f} (target ≥ 29); frames dropped before an "
        f"output took them: {flow.stats.skipped - skipped}"
    )
    print(
        f"  per frame (medians): effects {costs.get('total', 0.0):.1f} ms, encode "
        f"{statistics.median(samples.encode_ms):.1f} ms; costliest effects: "
        + ", ".join(f"{effect} {ms:.1f}" for effect, ms in costliest)
        + f"  (load average {os.getloadavg()[0]:.1f})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="onair bench studio")
    parser.add_argument("--seconds", type=float, default=60.0, help="live time per scenario")
    args = parser.parse_args(argv or [])
    prioritize()
    use_loopback_for_ice()
    for scenario in SCENARIOS:
        asyncio.run(run_scenario(scenario, args.seconds))


if __name__ == "__main__":
    main()
