from pathlib import Path

import pytest

from filters import presets, registry
from filters.base import VideoFilter
from filters.presets import Preset, PresetEntry, PresetError


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
