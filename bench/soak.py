"""Soak: the studio live for a whole show, as a streamer runs it (printed, never asserted here).

A backend runs in a process of its own; this process opens the real studio window (Qt,
offscreen unless a display is asked for), signs in, applies the default preset, goes live and
attaches a WHEP viewer that decodes every frame. While it runs, a driver works the panels the
way a person does: dock tabs, effect tabs, effects on and off, slider values, presets, the
before/after split. Every ``--every`` seconds one sample is printed: the process's RSS, the
references held to ``None`` and ``True`` (a Qt binding that leaks them aborts the interpreter
after minutes, see tests/studio/ui/test_qt_binding.py), the preview's, publisher's and viewer's
frame rates, the effect chain's cost and the published bitrate.

``onair bench soak --minutes 60`` is the hour-long run behind the README's figures;
tests/bench/test_soak.py runs a few minutes of it in ``make test`` and asserts what must hold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import qasync
from aiortc import MediaStreamTrack

from bench._processes import backend_subprocess
from filters.presets import builtin
from rtc.loopback import use_loopback_for_ice
from studio.core.media_config import media_config, media_url
from studio.core.settings_store import SettingsStore, StudioSettings
from studio.core.subscriber import WhepPlayer
from studio.core.tasks import cancel_and_wait
from studio.ui.app import build_window, qt_application
from studio.ui.go_live import GoLive
from studio.ui.main_window import MainWindow
from studio.ui.panels.effects import EffectsPanel

DEFAULT_PRESET = "Natural beauty"
ACTION_EVERY_S = 1.5
LIVE_TIMEOUT_S = 60.0


@dataclass
class Sample:
    """One sample; rates are over the interval since the previous one."""

    seconds: float
    rss_mb: float
    none_refs: int
    true_refs: int
    preview_fps: float
    publish_fps: float
    viewer_fps: float
    effects_ms: float
    bitrate_kbps: float
    state: str
    actions: int
    load: float  # the machine's 1-minute load average: other work slows every figure

    def line(self) -> str:
        return (
            f"{self.seconds / 60:6.1f} min  RSS {self.rss_mb:7.1f} MB  "
            f"refs None {self.none_refs:,} True {self.true_refs:,}  "
            f"fps preview {self.preview_fps:4.1f} sent {self.publish_fps:4.1f} "
            f"viewer {self.viewer_fps:4.1f}  effects {self.effects_ms:5.1f} ms  "
            f"{self.bitrate_kbps:6.0f} kbps  {self.state}  ({self.actions} panel actions, "
            f"load {self.load:.1f})"
        )


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def register(backend_url: str) -> tuple[str, str]:
    """A fresh streamer account: (username, token)."""
    username = f"soak{int(time.time() * 1000) % 10**9}"
    body = {"username": username, "password": "soak-password-1", "displayName": "Soak Test"}
    response = httpx.post(f"{backend_url}/api/auth/register", json=body, timeout=10)
    response.raise_for_status()
    return username, str(response.json()["data"]["token"])


class ViewerCounter:
    """A WHEP viewer that decodes every frame it gets and counts them."""

    def __init__(self) -> None:
        self.frames = 0
        self.player: WhepPlayer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, url: str, token: str) -> None:
        player = WhepPlayer(url, token=token, kinds=("video",))
        self.player = player
        await player.start()
        for _ in range(100):
            if player.video is not None:
                break
            await asyncio.sleep(0.05)
        if player.video is None:
            raise RuntimeError("the viewer got no video track")
        self._task = asyncio.ensure_future(self._count(player.video))

    async def _count(self, track: MediaStreamTrack) -> None:
        while True:
            await track.recv()
            self.frames += 1

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
        if self.player is not None:
            await self.player.stop()


def panel_actions(window: MainWindow) -> Iterator[Callable[[], object]]:
    """What a streamer does with the panels, one step at a time, for ever."""
    effects = window.docks["effects"].widget()
    assert isinstance(effects, EffectsPanel)
    smooth = effects.cards["beauty.smooth"]
    docks = [window.docks[key] for key in ("pk", "cohost", "shopping")]
    default = effects.preset_box.findText(DEFAULT_PRESET)
    steps: list[Callable[[], object]] = [
        *(dock.raise_ for dock in docks),
        *(lambda i=i: effects.tabs.setCurrentIndex(i) for i in range(effects.tabs.count())),
        window.compare_button.toggle,
        smooth.enable.toggle,
        lambda: smooth.value_changed.emit("beauty.smooth", "amount", 30.0 + time.time() % 40),
        effects.cards["beauty.brighten"].enable.toggle,
        window.compare_button.toggle,
        lambda: effects.preset_box.activated.emit(default),  # back to the default preset
    ]
    return itertools.cycle(steps)


async def soak(
    backend_url: str,
    minutes: float,
    every_s: float,
    config_dir: Path,
    on_sample: Callable[[Sample], None],
) -> list[Sample]:
    """Run the studio live for ``minutes``; a sample every ``every_s`` seconds."""
    username, token = register(backend_url)
    store = SettingsStore(config_dir)
    store.save(StudioSettings(backend_url=backend_url, username=username, token=token))
    window = build_window(store=store)
    window.resize(1280, 800)
    window.show()
    window.start()
    viewer = ViewerCounter()
    samples: list[Sample] = []
    try:
        async with asyncio.timeout(LIVE_TIMEOUT_S):
            while not (window.session.signed_in and window.broadcast.flow is not None):
                await asyncio.sleep(0.1)
        effects = window.docks["effects"].widget()
        assert isinstance(effects, EffectsPanel)
        effects.apply_preset(next(p for p in builtin() if p.name == DEFAULT_PRESET))
        go_live = window.findChild(GoLive)
        assert isinstance(go_live, GoLive)
        await go_live.start()
        publisher = go_live.publisher
        assert publisher is not None
        async with asyncio.timeout(LIVE_TIMEOUT_S):
            await publisher.wait_live()
        config = await media_config(window.session.api)
        guest = httpx.post(f"{backend_url}/api/auth/guest", timeout=10).json()["data"]["token"]
        await viewer.start(media_url(backend_url, config.whep, username), guest)
        samples = await _drive_and_sample(window, go_live, viewer, minutes, every_s, on_sample)
    finally:
        await viewer.stop()
        go_live = window.findChild(GoLive)
        if isinstance(go_live, GoLive):
            await go_live.stop()  # so closing has nothing to ask about
        window.close()
        await window.shutdown()
        window.deleteLater()
    return samples


async def _drive_and_sample(
    window: MainWindow,
    go_live: GoLive,
    viewer: ViewerCounter,
    minutes: float,
    every_s: float,
    on_sample: Callable[[Sample], None],
) -> list[Sample]:
    actions = panel_actions(window)
    samples: list[Sample] = []
    start = last = next_action = time.monotonic()
    shown, seen, done = window.preview.frames_shown, viewer.frames, 0
    while (now := time.monotonic()) - start < minutes * 60:
        if now >= next_action:
            next(actions)()
            done += 1
            next_action = now + ACTION_EVERY_S
        if now - last >= every_s:
            status = go_live.publisher.status if go_live.publisher is not None else None
            sample = Sample(
                seconds=now - start,
                rss_mb=rss_mb(),
                none_refs=sys.getrefcount(None),
                true_refs=sys.getrefcount(True),
                preview_fps=(window.preview.frames_shown - shown) / (now - last),
                publish_fps=status.fps if status is not None else 0.0,
                viewer_fps=(viewer.frames - seen) / (now - last),
                effects_ms=window.broadcast.chain.costs().get("total", 0.0),
                bitrate_kbps=status.bitrate_kbps if status is not None else 0.0,
                state=status.state.value if status is not None else "ended",
                actions=done,
                load=os.getloadavg()[0],
            )
            samples.append(sample)
            on_sample(sample)
            last, shown, seen = now, window.preview.frames_shown, viewer.frames
        await asyncio.sleep(0.05)
    return samples


def summary(samples: list[Sample]) -> str:
    """The figures a reader wants from a long run: growth, steadiness, cost."""
    if not samples:
        return "no samples"
    first, last = samples[0], samples[-1]
    tenth = max(1, len(samples) // 10)
    early, late = samples[:tenth], samples[-tenth:]

    def median(rows: list[Sample], field: str) -> float:
        return statistics.median(getattr(row, field) for row in rows)

    return "\n".join(
        [
            f"duration        {last.seconds / 60:.1f} min, {last.actions} panel actions",
            f"RSS             {first.rss_mb:.0f} MB -> {last.rss_mb:.0f} MB "
            f"(max {max(s.rss_mb for s in samples):.0f} MB)",
            f"refs to None    {first.none_refs:,} -> {last.none_refs:,}",
            f"refs to True    {first.true_refs:,} -> {last.true_refs:,}",
            *(
                f"{label:<15} first tenth {median(early, f):.1f}, last tenth {median(late, f):.1f}"
                for label, f in (
                    ("preview fps", "preview_fps"),
                    ("sent fps", "publish_fps"),
                    ("viewer fps", "viewer_fps"),
                    ("effects ms", "effects_ms"),
                    ("bitrate kbps", "bitrate_kbps"),
                    ("load average", "load"),
                )
            ),
        ]
    )


def run(minutes: float, every_s: float, json_path: Path | None = None) -> list[Sample]:
    """Backend process + studio window in this process; prints samples and a summary."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    use_loopback_for_ice()
    app = qt_application(["onair-soak"])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    samples: list[Sample] = []

    def record(sample: Sample) -> None:
        samples.append(sample)
        print(sample.line(), flush=True)
        if json_path is not None:
            json_path.write_text(json.dumps([asdict(s) for s in samples]), encoding="utf-8")

    print(f"soak: the studio live with '{DEFAULT_PRESET}' for {minutes:g} min", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="onair-soak-") as folder,
        backend_subprocess(Path(folder) / "backend.sqlite3") as (url, _),
        loop,
    ):
        loop.run_until_complete(soak(url, minutes, every_s, Path(folder) / "config", record))
    print(summary(samples), flush=True)
    return samples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="onair bench soak", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--json", type=Path, default=None, help="write the samples here too")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        run(args.minutes, args.every, args.json)


if __name__ == "__main__":
    main()
