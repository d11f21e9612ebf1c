import numpy as np
import pytest

from filters import registry
from filters.audio.voice import PITCH_WINDOW_S, Pitch, PitchShifter, VoiceChanger, VoiceFilter

RATE = 48_000
BLOCK = 960  # 20 ms


def _tone(freq: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32)[None, :]


def _stream(effect: VoiceFilter, audio: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [effect.process(audio[:, i : i + BLOCK], RATE) for i in range(0, audio.shape[1], BLOCK)],
        axis=1,
    )


def _voice_like(f0: float) -> np.ndarray:
    """A harmonic tone (five partials), like a sustained vowel."""
    t = np.arange(RATE) / RATE
    partials = sum(0.15 / k * np.sin(2 * np.pi * f0 * k * t) for k in range(1, 6))
    return np.asarray(partials, np.float32)[None, :]


def _f0(audio: np.ndarray) -> float:
    """Fundamental by autocorrelation (80..600 Hz), skipping the first quarter second."""
    tail = audio[0, RATE // 4 :] - audio[0, RATE // 4 :].mean()
    spectrum = np.fft.rfft(tail, 2 * len(tail))
    correlation = np.fft.irfft(np.abs(spectrum) ** 2)[: len(tail)]
    low, high = RATE // 600, RATE // 80
    return RATE / (low + int(np.argmax(correlation[low:high])))


@pytest.mark.parametrize("semitones", [5.0, -7.0, 12.0, -12.0])
def test_pitch_shift_moves_the_pitch(semitones: float) -> None:
    out = _stream(Pitch(semitones=semitones), _voice_like(220.0))
    expected = 220.0 * 2 ** (semitones / 12)
    assert abs(_f0(out) - expected) < expected * 0.02


def test_pitch_latency_is_bounded() -> None:
    shifter = PitchShifter(1.5, RATE)
    click = np.zeros((1, RATE // 5), np.float32)
    click[0, 100] = 1.0
    out = shifter.process(click)
    first = int(np.argmax(np.abs(out[0]) > 1e-3))
    assert 0 < (first - 100) / RATE <= PITCH_WINDOW_S


@pytest.mark.parametrize("filter_id", [c.id for c in registry.all_filters("voice")])
def test_every_voice_streams_block_for_block(filter_id: str) -> None:
    effect = registry.create(filter_id)
    assert isinstance(effect, VoiceFilter)
    audio = np.vstack([_tone(300.0, 0.5)[0], _tone(450.0, 0.5)[0]])
    out = _stream(effect, audio)
    assert out.shape == audio.shape and out.dtype == np.float32
    assert np.isfinite(out).all()
    assert not np.allclose(out, audio, atol=1e-3)
    assert np.abs(out).max() < 4.0


def test_voice_changer_keeps_dtype_shape_and_contains_failures() -> None:
    class Broken(Pitch):
        def render(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
            raise RuntimeError("broken")

    changer = VoiceChanger([Broken(), registry.create("voice.echo")], sample_rate=RATE)  # type: ignore[list-item]
    samples = (np.sin(np.arange(BLOCK) / 10) * 10_000).astype(np.int16)
    for _ in range(3):
        out = changer.process(samples)
        assert out.dtype == np.int16 and out.shape == samples.shape
    assert changer.failures == [("voice.pitch", "RuntimeError: broken")]
    assert changer.disabled == {0}
    stereo = np.zeros((2, BLOCK), np.float32)
    assert changer.process(stereo).shape == (2, BLOCK)
