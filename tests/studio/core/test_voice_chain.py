"""The voice chain: the published audio goes through the voice effects switched on in the studio.

A 440 Hz sample tone, pitched up by the default 5 semitones, should peak near
440 * 2 ** (5 / 12) ≈ 587 Hz; with no effect on it must stay at 440 Hz.
"""

from __future__ import annotations

from fractions import Fraction

import av
import httpx
import numpy as np
import pytest

from filters.params import ParamError
from studio.core.audio import SAMPLE_RATE, SampleAudioTrack, sample_audio
from studio.core.subscriber import WhepPlayer
from studio.core.voice import VoiceChain, VoiceTrack, voiced
from tests.backend.api_helpers import register
from tests.helpers_media import Collector, dominant_frequency, live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer

TONE_HZ = 440.0
PITCHED_HZ = TONE_HZ * 2 ** (5 / 12)


async def tone_through(chain: VoiceChain, frames: int = 30) -> tuple[list[av.AudioFrame], float]:
    """``frames`` 20 ms frames of the sample tone through ``chain``, and the dominant frequency
    of the last two thirds (the pitch shifter's delay line is full by then)."""
    track = VoiceTrack(SampleAudioTrack(TONE_HZ), chain)
    out = [await track.recv() for _ in range(frames)]
    track.stop()
    tail = np.concatenate([f.to_ndarray().reshape(-1) for f in out[frames // 3 :]])
    return out, dominant_frequency(tail)


async def test_no_voice_effect_leaves_frames_untouched() -> None:
    chain = VoiceChain()
    source = SampleAudioTrack(TONE_HZ)
    reference = [(await source.recv()).to_ndarray() for _ in range(5)]
    frames, peak = await tone_through(chain, frames=5)
    for frame, expected in zip(frames, reference, strict=True):
        np.testing.assert_array_equal(frame.to_ndarray(), expected)
    assert abs(peak - TONE_HZ) < 10.0


async def test_pitch_moves_the_dominant_frequency_and_keeps_timing() -> None:
    chain = VoiceChain()
    chain.set_enabled("voice.pitch", True)
    frames, peak = await tone_through(chain)
    assert abs(peak - PITCHED_HZ) < 15.0
    assert [f.pts for f in frames] == [i * 960 for i in range(len(frames))]
    assert {(f.format.name, f.layout.name, f.sample_rate) for f in frames} == {
        ("s16", "mono", SAMPLE_RATE)
    }
    assert not chain.failures
    assert chain.costs().keys() == {"voice.pitch"}


async def test_switching_off_restores_the_voice() -> None:
    chain = VoiceChain()
    chain.set_enabled("voice.pitch", True)
    chain.set_value("voice.pitch", "semitones", -12.0)
    _, low = await tone_through(chain)
    chain.set_enabled("voice.pitch", False)
    _, restored = await tone_through(chain)
    assert abs(low - TONE_HZ / 2) < 10.0
    assert abs(restored - TONE_HZ) < 10.0


@pytest.mark.parametrize(
    ("fmt", "layout"), [("s16", "stereo"), ("fltp", "stereo"), ("s16p", "mono")]
)
def test_every_frame_layout_comes_back_in_the_same_layout(fmt: str, layout: str) -> None:
    chain = VoiceChain()
    chain.set_enabled("voice.robot", True)
    channels = 2 if layout == "stereo" else 1
    t = np.arange(960) / SAMPLE_RATE
    wave = 0.3 * np.sin(2 * np.pi * TONE_HZ * t)
    planar = np.repeat(wave[None, :], channels, axis=0)
    data = planar if fmt.endswith("p") else planar.T.reshape(1, -1)
    dtype = np.float32 if fmt.startswith("flt") else np.int16
    scale = 1.0 if dtype is np.float32 else 32767.0
    frame = av.AudioFrame.from_ndarray((data * scale).astype(dtype), format=fmt, layout=layout)
    frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, 4800, Fraction(1, SAMPLE_RATE)
    out = chain.process(frame)
    assert (out.format.name, out.layout.name, out.samples, out.pts) == (fmt, layout, 960, 4800)
    assert not np.array_equal(out.to_ndarray(), frame.to_ndarray())
    assert not chain.failures


def test_load_restores_saved_voice_effects_and_ignores_the_rest() -> None:
    saved = VoiceChain()
    saved.set_enabled("voice.echo", True)
    saved.set_value("voice.echo", "delay", 0.5)
    values = {**saved.saved_values(), "beauty.smooth": {"amount": 50.0}}
    restored = VoiceChain()
    restored.load(values, ["beauty.smooth", *saved.enabled])
    assert restored.enabled == ["voice.echo"]
    assert restored.values("voice.echo")["delay"] == 0.5
    with pytest.raises(ParamError):
        restored.set_value("voice.echo", "delay", 99.0)
    assert set(restored.ids()) >= {"voice.pitch", "voice.echo", "voice.robot"}


@pytest.mark.usefixtures("loopback_ice")
async def test_published_audio_is_pitched_until_the_effect_is_switched_off(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    chain = VoiceChain()
    chain.set_enabled("voice.pitch", True)
    audio = voiced(sample_audio(TONE_HZ), chain)
    async with live_publisher(server.url, alice.username, alice.token, audio=audio):
        player = WhepPlayer(
            f"{server.url}/whep/{alice.username}", token=alice.token, kinds=("audio",)
        )
        await player.start()
        assert player.audio is not None
        heard = Collector(player.audio).start()
        try:
            await heard.wait_for(lambda: len(heard.audio) >= 50)
            pitched = dominant_frequency(np.concatenate(heard.audio[-25:]))
            chain.set_enabled("voice.pitch", False)
            switched_at = len(heard.audio)
            await heard.wait_for(lambda: len(heard.audio) >= switched_at + 50)
            plain = dominant_frequency(np.concatenate(heard.audio[-25:]))
        finally:
            await heard.stop()
            await player.stop()
    assert abs(pitched - PITCHED_HZ) < 15.0
    assert abs(plain - TONE_HZ) < 10.0
