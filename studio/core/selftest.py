"""`onair selftest`: does this install (or frozen bundle) really work, with no camera or display?

Checks, in order: the filters registry loads; the default preset runs on frames of the sample
source and FaceMesh finds the face's landmarks in them; a second or so of the sample source
(with a voice effect on its tone) is published over WHIP to a backend and played back over
WHEP, and the frames that come back carry the markers the publisher drew. Each check prints
one line; the run passes only if every check does.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import av
import numpy as np
from aiortc import MediaStreamTrack

from filters import registry
from filters.context import FaceTracker
from filters.synthetic import SyntheticFaceClip
from rtc.loopback import use_loopback_for_ice
from studio.core.api_client import ApiClient
from studio.core.broadcast import Broadcast, LiveTarget
from studio.core.effects_chain import EffectsChain
from studio.core.headless import DEFAULT_PRESET, find_preset
from studio.core.marker import read_marker
from studio.core.media_config import ice_servers, media_config, media_url
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource
from studio.core.subscriber import WhepPlayer

FACE_LANDMARKS = 478
SAMPLE_FRAMES = 5
WANTED_MARKERS = 10
WANTED_AUDIO_FRAMES = 25  # half a second of 20 ms frames
MEDIA_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"[{'ok' if self.passed else 'FAIL'}] {self.name}: {self.detail}"


def check_registry() -> Check:
    effects = registry.all_filters()
    categories = sorted({str(effect.category) for effect in effects})
    return Check(
        "filters registry",
        len(effects) > 0,
        f"{len(effects)} effects in {len(categories)} categories ({', '.join(categories)})",
    )


def check_default_chain(frames: int = SAMPLE_FRAMES) -> Check:
    """The default preset on sample frames: no filter fails, the image changes, a face is found
    with all its landmarks in every frame."""
    failures: list[str] = []
    chain = EffectsChain(on_failure=lambda failure: failures.append(failure.filter_id))
    chain.apply_preset(find_preset(DEFAULT_PRESET))
    clip = SyntheticFaceClip(640, 360)
    tracker = FaceTracker(static=True)
    landmarks, changed = [], 0
    try:
        for index in range(frames):
            image = clip.frame(index * 7)
            out = chain.process(image)
            changed += int(not np.array_equal(out, image))
            faces = tracker.detect(image)
            landmarks.append(len(faces[0].points) if faces else 0)
    finally:
        tracker.close()
        chain.close()
    passed = not failures and changed == frames and all(n == FACE_LANDMARKS for n in landmarks)
    detail = (
        f"'{DEFAULT_PRESET}' ({len(chain.enabled)} effects) changed {changed}/{frames} frames, "
        f"landmarks per frame {landmarks}"
        + (f", failed filters {sorted(set(failures))}" if failures else "")
    )
    return Check("default effect chain", passed, detail)


async def check_publish(backend: str) -> Check:
    """Publish the marked sample source (and a pitched tone) over WHIP, play it over WHEP."""
    api = ApiClient(backend)
    session = await api.register(f"selftest{secrets.token_hex(4)}", secrets.token_urlsafe(12))
    config = await media_config(api)
    await api.aclose()
    stream, servers = session.user.username, ice_servers(config)
    broadcast = Broadcast()
    voice = broadcast.voice
    voice.set_enabled("voice.pitch", True)
    target = LiveTarget(media_url(backend, config.whip, stream), session.token, servers)
    player = WhepPlayer(
        media_url(backend, config.whep, stream), token=session.token, ice_servers=servers
    )
    markers: list[int] = []
    audio_frames = 0
    try:
        broadcast.use_source(SampleSource(640, 360, fps=30.0, marker=True), SAMPLE)
        publisher = await broadcast.go_live(target)  # the sample's tone, through the voice
        async with asyncio.timeout(MEDIA_TIMEOUT_S):
            await publisher.wait_live()
        await player.start()
        assert player.video is not None and player.audio is not None
        markers = await _collect(player.video, WANTED_MARKERS, _marker_of)
        audio_frames = len(await _collect(player.audio, WANTED_AUDIO_FRAMES, _timestamp))
    except (TimeoutError, OSError, AssertionError) as exc:
        return Check("publish over WHIP, play over WHEP", False, f"{type(exc).__name__}: {exc}")
    finally:
        await player.stop()
        await broadcast.close()
    passed = (
        len(set(markers)) >= WANTED_MARKERS
        and audio_frames >= WANTED_AUDIO_FRAMES
        and not voice.failures
    )
    return Check(
        "publish over WHIP, play over WHEP",
        passed,
        f"{len(set(markers))} marked video frames and {audio_frames} audio frames "
        f"(voice: {', '.join(voice.enabled)}) came back",
    )


def _marker_of(frame: av.AudioFrame | av.VideoFrame) -> int | None:
    if not isinstance(frame, av.VideoFrame):
        return None
    return read_marker(np.asarray(frame.to_ndarray(format="bgr24"), np.uint8))


async def _collect(
    track: MediaStreamTrack,
    wanted: int,
    value: Callable[[av.AudioFrame | av.VideoFrame], int | None],
) -> list[int]:
    """``value`` of each frame ``track`` yields (``None`` dropped) until ``wanted`` distinct
    values came or ``MEDIA_TIMEOUT_S`` passed."""
    found: list[int] = []

    async def collect() -> None:
        while len(set(found)) < wanted:
            # aiortc types recv() as any frame or packet; a WHEP player's tracks decode
            frame = cast(av.AudioFrame | av.VideoFrame, await track.recv())
            result = value(frame)
            if result is not None:
                found.append(result)

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(MEDIA_TIMEOUT_S):
            await collect()
    return found


def _timestamp(frame: av.AudioFrame | av.VideoFrame) -> int:
    return int(frame.pts or 0)


def run(backend: str, out: Callable[[str], None] = print) -> int:
    """Every check against ``backend`` (a running backend's base URL); 0 if all passed."""
    checks = [check_registry(), check_default_chain()]
    for check in checks:
        out(check.line())
    use_loopback_for_ice()
    media = asyncio.run(check_publish(backend))
    out(media.line())
    passed = all(check.passed for check in [*checks, media])
    out("selftest passed" if passed else "selftest FAILED")
    return 0 if passed else 1
