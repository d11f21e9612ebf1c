from pathlib import Path

import numpy as np
import pytest

from filters import presets, registry
from filters.base import VideoFilter
from filters.context import FaceTracker, FrameContext
from filters.face_mesh import RefinedMeshModel
from filters.presets import Preset, PresetEntry, PresetError
from filters.synthetic import SyntheticFaceClip


def test_round_trip(tmp_path: Path) -> None:
    effects = [
        registry.create("beauty.smooth", {"amount": 70.0}),
        registry.create("makeup.lipstick", {"color": "#aa2233", "finish": "gloss"}),
        registry.create("voice.pitch", {"semitones": -3.0}),
    ]
    preset = Preset.from_effects("Mine", effects, "test")
    path = tmp_path / "mine.json"
    presets.save(preset, path)
    loaded = presets.load(path)
    assert loaded == preset
    rebuilt = loaded.create()
    assert [e.id for e in rebuilt] == [e.id for e in effects]
    assert [e.values for e in rebuilt] == [e.values for e in effects]
    assert [f.id for f in loaded.video_filters()] == ["beauty.smooth", "makeup.lipstick"]


def test_disabled_entries_are_kept_but_not_created() -> None:
    preset = Preset("P", (PresetEntry("beauty.smooth", {}, enabled=False),))
    assert presets.loads(presets.dumps(preset)) == preset
    assert preset.create() == []


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"name": "x"}',
        '{"name": "", "filters": []}',
        '{"name": "x", "filters": [{"id": "nope"}]}',
        '{"name": "x", "filters": [{"id": "beauty.smooth", "params": {"amount": 900}}]}',
        '{"name": "x", "filters": [{"id": "beauty.smooth", "params": []}]}',
    ],
)
def test_invalid_presets_are_rejected(text: str) -> None:
    with pytest.raises(PresetError):
        presets.loads(text)


def test_builtin_presets_load_and_build() -> None:
    shipped = presets.builtin()
    assert len(shipped) >= 3
    for preset in shipped:
        effects = preset.create()
        assert effects and all(not e.is_neutral() for e in effects)
        assert all(isinstance(f, VideoFilter) for f in preset.video_filters())


@pytest.mark.parametrize("face", ["astronaut", "grace_hopper"])
def test_glam_looks_the_same_with_the_refined_model_in_litert(
    face: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """*Glam* (its eye makeup asks for the refined model) on the sample faces: the frames
    made with the model in LiteRT are those made with it in MediaPipe's graph. (A static
    tracker, so both see the same crops: a tracking one feeds each model's own points back
    into its next crop, and the two drift apart by the model's frame-to-frame noise.)"""
    clip = SyntheticFaceClip(1280, 720, face=face)
    frames = [clip.frame(index) for index in range(0, 40, 5)]
    lite = _glam(frames)
    monkeypatch.setattr("filters.face_mesh._attention_model", RefinedMeshModel)
    graph = _glam(frames)
    for made, expected, frame in zip(lite, graph, frames, strict=True):
        assert np.count_nonzero(np.abs(expected.astype(int) - frame) > 2) > 5000
        error = np.abs(made.astype(int) - expected)
        # Points 1e-4 px apart flip a few edge pixels of the rasterised makeup masks.
        assert error.mean() < 1e-4 and np.count_nonzero(error > 1) < 50 and error.max() <= 8


def _glam(frames: list[np.ndarray]) -> list[np.ndarray]:
    glam = next(preset for preset in presets.builtin() if preset.name == "Glam")
    effects, tracker = glam.video_filters(), FaceTracker(static=True)
    made = []
    for frame in frames:
        ctx = FrameContext(frame, tracker=tracker, reuse_buffers=True)
        for effect in effects:
            frame = effect.process(frame, ctx)
        made.append(frame)
    tracker.close()
    return made
