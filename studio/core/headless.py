"""The studio without a window: sign in, run the sample source through a preset, go live.

`make run` uses it on a machine with no display, so the viewer URL it prints shows a real,
filtered stream. It drives the same broadcast engine as the desktop app
(:class:`studio.core.broadcast.Broadcast`), so gifts to the streamer burst on the stream here
too. Status lines go to stdout, link statistics to the backend (``webrtc:stats-update``);
Ctrl-C ends the stream cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from filters.presets import Preset, builtin
from studio.core.api_client import ApiClient
from studio.core.audio import sample_audio
from studio.core.broadcast import Broadcast, LiveTarget
from studio.core.events import EventClient
from studio.core.media_config import ice_servers, media_config, media_url
from studio.core.publisher import PublisherStatus
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource
from studio.core.stats_reporter import StatsReporter

DEFAULT_PRESET = "Natural beauty"
STATUS_EVERY_S = 15.0


def find_preset(name: str) -> Preset:
    presets = {preset.name: preset for preset in builtin()}
    if name not in presets:
        raise SystemExit(f"No preset named {name!r}; choose from {sorted(presets)}.")
    return presets[name]


def describe(status: PublisherStatus) -> str:
    rtt = f"{status.rtt_ms:.0f} ms" if status.rtt_ms is not None else "–"
    return (
        f"[studio] {status.state.value}: {status.level.label}, "
        f"{status.fps:.0f} fps, {status.bitrate_kbps:.0f} kbps, RTT {rtt}, "
        f"loss {status.loss_pct:.1f}%" + (f" — {status.error}" if status.error else "")
    )


async def go_live(
    backend: str,
    username: str,
    password: str,
    preset_name: str = DEFAULT_PRESET,
    size: tuple[int, int] = (1280, 720),
) -> None:
    api = ApiClient(backend)
    session = await api.login(username, password)
    broadcast = Broadcast()
    broadcast.chain.apply_preset(find_preset(preset_name))
    config = await media_config(api)
    url = media_url(backend, config.whip, session.user.username)
    last_print, last_state = 0.0, ""

    def report(status: PublisherStatus) -> None:
        nonlocal last_print, last_state
        now = time.monotonic()
        if now - last_print >= STATUS_EVERY_S or status.state.value != last_state:
            last_print, last_state = now, status.state.value
            print(describe(status), flush=True)

    events = EventClient(api.ws_url, session.token)
    events.start()
    reporter = StatsReporter(events, session.user.username)
    broadcast.status_changed.add(report)
    broadcast.status_changed.add(reporter)
    broadcast.follow_gifts(events, session.user.id)
    broadcast.use_source(SampleSource(*size, fps=30.0), SAMPLE)
    try:
        publisher = await broadcast.go_live(
            LiveTarget(url, session.token, ice_servers(config)), audio=sample_audio()
        )
        async with asyncio.timeout(30):
            await publisher.wait_live()
        print(f"[studio] live as {username} with the '{preset_name}' preset.", flush=True)
        print(f"[studio] publishing to {url}", flush=True)
        print(f"[studio] watch: {backend}/watch/{session.user.username}", flush=True)
        await asyncio.Event().wait()
    finally:
        await broadcast.close()
        await reporter.close()
        await events.stop()
        await api.aclose()


def run(backend: str, username: str, password: str, preset_name: str = DEFAULT_PRESET) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go_live(backend, username, password, preset_name))
    return 0
