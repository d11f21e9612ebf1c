"""The mix reaches what leaves the studio: a media file's 1 kHz tone, on air in a scene, is
heard by an aiortc WHEP viewer and recorded (ffprobe's astats reads the file), and is gone
once its channel is muted. The voice (the sample tone, 440 Hz) is muted throughout so the
file's tone is all there is to hear."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest

from studio.core.audio import SAMPLE_RATE
from studio.core.broadcast import SOURCE_AUDIO, Broadcast
from studio.core.mixer import VOICE
from studio.core.recorder import Recorder, RecordingPlan
from studio.core.scenes.model import SceneCollection
from studio.core.shared_encoder import EncodeSetting
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource
from studio.core.subscriber import WhepPlayer
from tests.backend.api_helpers import register
from tests.helpers_media import Collector, dominant_frequency, live_broadcast, loopback_ice  # noqa: F401
from tests.media_probe import loudness_by_time
from tests.servers import LiveServer

TONE_HZ = 1000.0
HEARD_DB = -30.0  # the tone is at -20 dBFS RMS; silence reads -inf
SETTING = EncodeSetting(640, 360, 1000, preset="ultrafast")


def tone_clip(folder: Path, seconds: float = 3.0) -> Path:
    """A video with a 1 kHz tone (made by Debian's ffmpeg)."""
    path = folder / "tone.mp4"
    sine = f"sine=frequency={TONE_HZ:g}:sample_rate={SAMPLE_RATE}:duration={seconds}"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size=320x240:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", sine,
            "-af", "volume=0.7", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
            "-shortest", str(path),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path


def scene_with_clip(clip: Path) -> tuple[SceneCollection, str]:
    """A scene with the camera and the clip on air; (collection, the clip's source id)."""
    collection = SceneCollection(canvas="1280x720")
    camera = collection.add_source("camera", "Camera")
    media = collection.add_source("media", "Tone", {"path": str(clip)})
    scene = collection.add_scene("Show")
    collection.add_layer(scene.id, camera.id)
    collection.add_layer(scene.id, media.id)
    collection.switch(scene.id)
    return collection, media.id


def rms_db(samples: list[np.ndarray]) -> float:
    joined = np.concatenate(samples).astype(np.float64) / 32768
    return float(20 * np.log10(max(1e-9, np.sqrt(np.mean(joined**2)))))


@pytest.mark.usefixtures("loopback_ice")
async def test_a_media_files_tone_reaches_a_whep_viewer_until_it_is_muted(
    server: LiveServer, tmp_path: Path
) -> None:
    collection, media = scene_with_clip(tone_clip(tmp_path))
    async with httpx.AsyncClient(base_url=server.url) as client:
        host = await register(client, "mixhost")
    async with live_broadcast(
        server.url, "mixhost", host.token, scenes=collection, audio=SOURCE_AUDIO
    ) as broadcast:
        broadcast.mixer.set_muted(VOICE, True)
        player = WhepPlayer(f"{server.url}/whep/mixhost", token=host.token, kinds=("audio",))
        await player.start()
        assert player.audio is not None
        heard = Collector(player.audio).start()
        try:
            await heard.wait_for(lambda: len(heard.audio) >= 75)  # 1.5 s
            tone = heard.audio[25:75]
            assert dominant_frequency(np.concatenate(tone)) == pytest.approx(TONE_HZ, abs=15)
            assert rms_db(tone) > HEARD_DB

            broadcast.mixer.set_muted(media, True)
            muted_from = len(heard.audio) + 25  # what was on its way by then has played
            await heard.wait_for(lambda: len(heard.audio) >= muted_from + 50)
            assert rms_db(heard.audio[muted_from : muted_from + 50]) < -60.0
        finally:
            await heard.stop()
            await player.stop()


async def test_a_media_files_tone_is_recorded_until_it_is_muted(tmp_path: Path) -> None:
    collection, media = scene_with_clip(tone_clip(tmp_path))
    broadcast = Broadcast()
    broadcast.use_source(SampleSource(640, 360, fps=30.0), SAMPLE)
    broadcast.use_scenes(collection)
    broadcast.mixer.set_muted(VOICE, True)
    recorder = Recorder(broadcast.encoders, RecordingPlan(tmp_path / "rec", SETTING))
    try:
        await recorder.start()
        while recorder.status.duration_s < 2.0:
            await asyncio.sleep(0.05)
        broadcast.mixer.set_muted(media, True)
        muted_at = recorder.status.duration_s
        while recorder.status.duration_s < muted_at + 2.0:
            await asyncio.sleep(0.05)
        await recorder.stop()
    finally:
        await broadcast.close()
    [path] = recorder.status.files
    loudness = loudness_by_time(path)
    # The file's sound starts once its first block is decoded (later on a busy machine); from
    # then until the mute it never drops.
    started = next(t for t, db in loudness if db > HEARD_DB)
    assert started < muted_at - 1.0, loudness
    before = [db for t, db in loudness if started <= t < muted_at - 0.3]
    after = [db for t, db in loudness if t > muted_at + 0.5]
    assert before and min(before) > HEARD_DB, loudness
    assert after and max(after) < -60.0, loudness
