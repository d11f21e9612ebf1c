"""Which audio goes out with which video source, and a missing microphone."""

from __future__ import annotations

from aiortc import MediaStreamTrack

from studio.core.audio import SampleAudioTrack, audio_for, silent_audio, with_fallback


def no_microphone() -> MediaStreamTrack:
    raise OSError("no capture device")


def test_a_missing_microphone_publishes_silence() -> None:
    track = with_fallback(no_microphone, silent_audio())()
    assert isinstance(track, SampleAudioTrack) and track.amplitude == 0.0


def test_the_sample_clip_has_its_tone_and_a_file_is_silent() -> None:
    tone, file = audio_for("sample")(), audio_for("file:/tmp/clip.mp4")()
    assert isinstance(tone, SampleAudioTrack) and tone.amplitude > 0 and tone.frequency == 440.0
    assert isinstance(file, SampleAudioTrack) and file.amplitude == 0.0
