"""The studio without a window: sign in, run the sample source through a preset, go live.

`make run` uses it on a machine with no display, so the viewer URL it prints shows a real,
filtered stream. Status lines go to stdout, link statistics to the backend
(``webrtc:stats-update``); Ctrl-C ends the stream cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from filters.presets import Preset, builtin
from studio.core.api_client import ApiClient
from studio.core.audio import sample_audio
from studio.core.effects_chain import EffectsChain
from studio.core.events import EventClient
from studio.core.frames import FrameFlow
from studio.core.media_config import ice_servers, media_config, media_url
from studio.core.publisher import Publisher, PublisherStatus
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
    chain = EffectsChain()
    chain.apply_preset(find_preset(preset_name))
    config = await media_config(api)
    url = media_url(backend, config["whip"], session.user.username)
    flow = FrameFlow(SampleSource(*size, fps=30.0), chain)
    publisher = Publisher(
        url, flow, token=session.token, audio=sample_audio(), ice_servers=ice_servers(config)
    )
    last_print, last_state = 0.0, ""

    def report(status: PublisherStatus) -> None:
        nonlocal last_print, last_state
        now = time.monotonic()
        if now - last_print >= STATUS_EVERY_S or status.state.value != last_state:
            last_print, last_state = now, status.state.value
            print(describe(status), flush=True)

    publisher.on_status = report
    events = EventClient(api.ws_url, session.token)
    events.start()
    reporter = StatsReporter(events, session.user.username)
    publisher.add_status_listener(reporter)
    await publisher.start()
    try:
        async with asyncio.timeout(30):
            await publisher.wait_live()
        print(f"[studio] live as {username} with the '{preset_name}' preset.", flush=True)
        print(f"[studio] publishing to {url}", flush=True)
        print(f"[studio] watch: {backend}/watch/{session.user.username}", flush=True)
        await asyncio.Event().wait()
    finally:
        await publisher.stop()
        flow.stop()
        await reporter.close()
        await events.stop()
        await api.aclose()


def run(backend: str, username: str, password: str, preset_name: str = DEFAULT_PRESET) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go_live(backend, username, password, preset_name))
    return 0
