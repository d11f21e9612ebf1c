"""The audio mixer's model: exact sample values through faders, mute and on-air, the meters,
the dB/% scale, a media file's sound read in step, and one mix shared by every consumer.

Media files are real WAV files of known samples (s16 8192 is exactly 0.25 as float), read
through PyAV as the studio reads them.
"""

from __future__ import annotations

import asyncio
import math
import struct
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from filters.params import ParamError
from studio.core.audio import SAMPLE_RATE, sample_audio
from studio.core.audio_inputs import FileAudio, block_frame
from studio.core.mixer import (
    FLOOR_DB,
    SILENT_DB,
    VOICE,
    AudioMixer,
    Levels,
    db_of_percent,
    gain_of,
    mix,
    percent_of,
)
from studio.core.scenes.model import SceneCollection
from tests.helpers_media import dominant_frequency
from tests.studio.core.test_mixer_outputs import tone_clip


def write_wav(path: Path, samples: np.ndarray, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


def constant_wav(path: Path, value: int, seconds: float = 1.0) -> Path:
    return write_wav(path, np.full(round(seconds * SAMPLE_RATE), value, np.int16))


def silent_voice() -> AudioMixer:
    """A mixer whose voice never starts (the mix is read block by block, not run)."""
    return AudioMixer(lambda: sample_audio())


def two_media(tmp_path: Path) -> tuple[SceneCollection, str, str, str]:
    """A scene with media A (0.25) and B (0.125) on air; (collection, scene, A, B)."""
    collection = SceneCollection()
    a = collection.add_source(
        "media", "Music", {"path": str(constant_wav(tmp_path / "a.wav", 8192))}
    )
    b = collection.add_source(
        "media", "Clip", {"path": str(constant_wav(tmp_path / "b.wav", 4096))}
    )
    scene = collection.add_scene("Show")
    collection.add_layer(scene.id, a.id)
    collection.add_layer(scene.id, b.id)
    collection.switch(scene.id)
    return collection, scene.id, a.id, b.id


def test_the_mix_is_the_sum_of_every_block_times_its_gain() -> None:
    first = np.full((2, 960), 0.25, np.float32)
    second = np.full((2, 960), -0.5, np.float32)
    mixed = mix([(first, 1.0), (second, 0.5), (second, 0.0)])
    np.testing.assert_array_equal(mixed, np.zeros((2, 960), np.float32))
    np.testing.assert_array_equal(mix([(first, 2.0)]), np.full((2, 960), 0.5, np.float32))


def test_the_frame_of_a_block_is_clipped_interleaved_s16_stereo() -> None:
    block = np.array([[0.5, 2.0], [-0.25, -3.0]], np.float32)
    frame = block_frame(block, pts=960)
    assert (frame.format.name, frame.layout.name, frame.sample_rate, frame.pts) == (
        "s16",
        "stereo",
        SAMPLE_RATE,
        960,
    )
    assert frame.to_ndarray().tolist() == [[16384, -8192, 32767, -32767]]


def test_volume_reads_in_decibels_or_percent() -> None:
    assert gain_of(0.0) == 1.0
    assert gain_of(SILENT_DB) == 0.0
    assert gain_of(20 * math.log10(0.5)) == pytest.approx(0.5)
    assert percent_of(-6.0206) == pytest.approx(50.0, abs=0.01)
    assert db_of_percent(50.0) == pytest.approx(-6.0206, abs=1e-4)
    assert db_of_percent(0.0) == SILENT_DB
    assert db_of_percent(1000.0) == 12.0  # the fader's top


def test_media_on_air_are_mixed_with_exact_samples_through_fader_and_mute(
    tmp_path: Path,
) -> None:
    collection, _, a, b = two_media(tmp_path)
    mixer = silent_voice()
    mixer.follow(collection)
    assert [c.id for c in mixer.channels] == [VOICE, a, b]
    assert [c.name for c in mixer.channels][1:] == ["Music", "Clip"]

    np.testing.assert_array_equal(mixer.mix_block(), np.full((2, 960), 0.375, np.float32))
    mixer.set_muted(b, True)
    np.testing.assert_array_equal(mixer.mix_block(), np.full((2, 960), 0.25, np.float32))
    mixer.set_volume(a, 20 * math.log10(0.5))
    np.testing.assert_allclose(mixer.mix_block(), 0.125, atol=1e-7)
    mixer.set_volume(a, SILENT_DB)
    np.testing.assert_array_equal(mixer.mix_block(), np.zeros((2, 960), np.float32))
    assert mixer.values()[a] == {"volume": SILENT_DB, "muted": False}
    assert mixer.values()[b] == {"volume": 0.0, "muted": True}


def test_media_off_air_add_nothing_and_come_back_on_air(tmp_path: Path) -> None:
    collection, scene, _, _ = two_media(tmp_path)
    mixer = silent_voice()
    mixer.follow(collection)
    layer_a = collection.scene(scene).layers[0]
    collection.update_layer(scene, layer_a.id, visible=False)
    np.testing.assert_array_equal(mixer.mix_block(), np.full((2, 960), 0.125, np.float32))
    other = collection.add_scene("Be right back")
    collection.switch(other.id)
    np.testing.assert_array_equal(mixer.mix_block(), np.zeros((2, 960), np.float32))
    collection.switch(scene)
    collection.update_layer(scene, layer_a.id, visible=True)
    np.testing.assert_array_equal(mixer.mix_block(), np.full((2, 960), 0.375, np.float32))


def test_meters_read_each_channel_after_its_fader_and_the_mix(tmp_path: Path) -> None:
    collection, _, a, b = two_media(tmp_path)
    mixer = silent_voice()
    mixer.follow(collection)
    mixer.set_muted(b, True)
    for _ in range(5):
        mixer.mix_block()
    quarter = 20 * math.log10(0.25)
    assert mixer.levels(a).peak_db == pytest.approx(quarter, abs=1e-4)
    assert mixer.levels(a).rms_db == pytest.approx(quarter, abs=1e-4)
    assert mixer.levels(b) == Levels(FLOOR_DB, FLOOR_DB)
    assert mixer.levels(VOICE) == Levels(FLOOR_DB, FLOOR_DB)
    assert mixer.meter.levels.peak_db == pytest.approx(quarter, abs=1e-4)


def test_removed_and_renamed_media_leave_or_rename_their_channel(tmp_path: Path) -> None:
    collection, _, a, b = two_media(tmp_path)
    mixer = silent_voice()
    mixer.follow(collection)
    news: list[None] = []
    mixer.channels_changed.add(news.append)
    collection.rename_source(b, "Trailer")
    assert mixer.channel(b).name == "Trailer"
    collection.remove_source(a)
    assert [c.id for c in mixer.channels] == [VOICE, b]
    assert len(news) == 2
    with pytest.raises(ParamError, match="no channel"):
        mixer.set_volume(a, -3.0)


def test_saved_values_come_back_for_channels_that_appear_later(tmp_path: Path) -> None:
    collection, _, a, _ = two_media(tmp_path)
    mixer = silent_voice()
    mixer.restore({VOICE: {"volume": -12.0}, a: {"muted": True}, "gone": {"volume": "loud"}})
    mixer.follow(collection)
    assert mixer.channel(VOICE).values == {"volume": -12.0, "muted": False}
    assert mixer.channel(a).values == {"volume": 0.0, "muted": True}
    with pytest.raises(ParamError):
        mixer.set_volume(a, 40.0)


def test_a_media_file_is_read_in_step_with_its_video_and_loops(tmp_path: Path) -> None:
    ramp = np.arange(SAMPLE_RATE // 2, dtype=np.int16)  # 0.5 s, one step a sample
    path = write_wav(tmp_path / "ramp.wav", ramp)
    audio = FileAudio(path, started_at=time.monotonic() - 0.2)
    first = np.rint(audio.read(960)[0] * 32768).astype(int)
    second = np.rint(audio.read(960)[0] * 32768).astype(int)
    assert abs(first[0] - 0.2 * SAMPLE_RATE) < 0.1 * SAMPLE_RATE  # where the video is
    assert np.array_equal(np.diff(np.concatenate([first, second])), np.ones(1919, int))
    for _ in range(20):  # past the end: it starts again
        block = audio.read(960)
    assert np.rint(block[0] * 32768).min() < 960 * 20
    audio.close()


def test_a_file_without_sound_gives_silence_and_says_why(tmp_path: Path) -> None:
    audio = FileAudio(tmp_path / "missing.wav")
    np.testing.assert_array_equal(audio.read(960), np.zeros((2, 960), np.float32))
    assert "Cannot read the sound of missing.wav" in audio.status


def damaged_clip(folder: Path) -> Path:
    """A video whose moov is intact but whose media data is noise from byte 100 on: it opens,
    and its audio packets fail to decode."""
    data = bytearray(tone_clip(folder).read_bytes())
    start = data.find(b"mdat") - 4
    size = struct.unpack(">I", data[start : start + 4])[0]
    noise = np.random.default_rng(1).integers(0, 256, size - 108, dtype=np.uint8)
    data[start + 108 : start + size] = noise.tobytes()
    path = folder / "damaged.mp4"
    path.write_bytes(bytes(data))
    return path


def test_a_damaged_file_goes_silent_with_its_reason_and_the_mix_goes_on(tmp_path: Path) -> None:
    collection, scene, a, _ = two_media(tmp_path)
    broken = collection.add_source("media", "Broken", {"path": str(damaged_clip(tmp_path))})
    collection.add_layer(scene, broken.id)
    mixer = silent_voice()
    mixer.follow(collection)
    for _ in range(3):
        np.testing.assert_array_equal(mixer.mix_block(), np.full((2, 960), 0.375, np.float32))
    assert mixer.channel(broken.id).status.startswith("Cannot play the sound of damaged.mp4")
    assert mixer.channel(a).status == ""


async def test_every_consumer_gets_the_same_mix_of_the_voice_and_mute_silences_it() -> None:
    mixer = AudioMixer(lambda: sample_audio(1000.0))
    first, second = mixer.track(), mixer.track()
    try:
        frames = [await first.recv() for _ in range(15)]
        other = await second.recv()
        assert mixer.running
        tone = np.concatenate([f.to_ndarray().reshape(-1)[::2] for f in frames[5:]])
        assert dominant_frequency(tone) == pytest.approx(1000.0, abs=10.0)
        later = [await first.recv() for _ in range(3)]
        assert any(np.array_equal(other.to_ndarray(), f.to_ndarray()) for f in frames + later)
        mixer.set_muted(VOICE, True)
        await first.recv()  # the block being mixed when the mute came
        await first.recv()
        assert not (await first.recv()).to_ndarray().any()
    finally:
        first.stop()
        second.stop()
    assert not mixer.running
    await mixer.close()


async def test_a_level_view_holds_the_mix_until_released() -> None:
    mixer = AudioMixer(lambda: sample_audio(440.0))
    mixer.hold()
    try:
        deadline = time.monotonic() + 10
        while mixer.levels(VOICE).peak_db < -20 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert mixer.levels(VOICE).peak_db == pytest.approx(20 * math.log10(0.2), abs=0.1)
    finally:
        mixer.release()
    assert not mixer.running
    assert mixer.levels(VOICE) == Levels()
    await mixer.close()
