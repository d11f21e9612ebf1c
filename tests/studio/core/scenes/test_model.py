"""The scene collection: edits, switching, the versioned JSON round trip through its file, a
damaged file set aside, the starter scenes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.core.scenes.model import SceneCollection, SceneError, Transform, Transition
from studio.core.scenes.store import (
    BE_RIGHT_BACK,
    CAMERA,
    SCREEN_AND_CAMERA,
    STARTING_SOON,
    SceneStore,
    starter_collection,
)
from studio.core.settings_store import SettingsSaver


def edited_collection() -> SceneCollection:
    collection = starter_collection("1080x1920")
    logo = collection.add_source("image", "Logo", {"path": "/tmp/logo.png"})
    scene = collection.scene_named(SCREEN_AND_CAMERA)
    layer = collection.add_layer(scene.id, logo.id, Transform(10, 20, 300, 200, 4, 5, 6, 7, 12.5))
    collection.update_layer(scene.id, layer.id, visible=False, locked=True)
    collection.move_layer(scene.id, layer.id, 0)
    collection.set_transition(Transition.CUT)
    collection.switch(collection.scene_named(BE_RIGHT_BACK).id)
    return collection


def test_the_collection_round_trips_through_its_file(tmp_path: Path) -> None:
    collection = edited_collection()
    store = SceneStore(tmp_path)
    store.save(collection)
    loaded = store.load()
    assert loaded.to_dict() == collection.to_dict()
    assert loaded.scenes == collection.scenes and loaded.sources == collection.sources
    assert json.loads(store.path.read_text())["version"] == 1
    assert loaded.canvas == "1080x1920" and loaded.size == (1080, 1920)
    assert loaded.current_scene() == collection.scene_named(BE_RIGHT_BACK)


def test_a_first_start_gets_the_starter_scenes(tmp_path: Path) -> None:
    collection = SceneStore(tmp_path).load()
    assert [s.name for s in collection.scenes] == [
        CAMERA,
        SCREEN_AND_CAMERA,
        STARTING_SOON,
        BE_RIGHT_BACK,
    ]
    assert collection.current_scene() == collection.scene_named(CAMERA)
    kinds = {s.kind for s in collection.sources.values()}
    assert kinds == {"camera", "screen", "color", "text"}
    screen_and_camera = collection.scene_named(SCREEN_AND_CAMERA)
    assert [collection.source(la.source_id).kind for la in screen_and_camera.layers] == [
        "screen",
        "camera",
    ]
    corner = screen_and_camera.layers[1].transform
    assert corner.x + corner.width < 1280 and corner.y + corner.height < 720 and corner.x > 640


def test_a_damaged_file_is_set_aside_and_the_starter_scenes_come_back(tmp_path: Path) -> None:
    store = SceneStore(tmp_path)
    store.path.write_text('{"version": 1, "sources": [{"id": "x"}]}')
    collection = store.load()
    assert collection.scene_named(CAMERA)
    assert store.set_aside is not None and store.set_aside.exists() and not store.path.exists()


def test_a_newer_version_is_refused_with_its_number() -> None:
    with pytest.raises(SceneError, match="version 2"):
        SceneCollection.from_dict({**starter_collection().to_dict(), "version": 2})


def test_a_source_shared_by_scenes_goes_from_all_of_them_when_removed() -> None:
    collection = starter_collection()
    camera = next(s for s in collection.sources.values() if s.kind == "camera")
    assert len(collection.scenes_using(camera.id)) == 2
    collection.remove_source(camera.id)
    assert collection.scenes_using(camera.id) == []
    assert collection.scene_named(CAMERA).layers == ()


def test_names_stay_unique_and_the_last_scene_stays() -> None:
    collection = SceneCollection()
    first = collection.add_scene("Game")
    second = collection.add_scene("  Game ")
    assert second.name == "Game 2"
    assert collection.duplicate_scene(first.id).name == "Game copy"
    assert [s.name for s in collection.scenes] == ["Game", "Game copy", "Game 2"]
    collection.remove_scene(first.id)
    collection.remove_scene(second.id)
    with pytest.raises(SceneError, match="last scene"):
        collection.remove_scene(collection.scenes[0].id)
    with pytest.raises(SceneError, match="empty"):
        collection.rename_scene(collection.scenes[0].id, "   ")


def test_bad_edits_say_what_is_wrong() -> None:
    collection = starter_collection()
    scene = collection.scenes[0]
    with pytest.raises(SceneError, match="no source 'nope'"):
        collection.add_layer(scene.id, "nope")
    with pytest.raises(SceneError, match="canvas"):
        collection.set_canvas("640x480")
    with pytest.raises(SceneError, match="0 to 300 ms"):
        collection.set_transition(Transition.FADE, 500)
    with pytest.raises(SceneError, match="at least 1x1"):
        Transform(0, 0, 0, 10)


def test_switching_tells_the_watchers(tmp_path: Path) -> None:
    collection = starter_collection()
    heard: list[str] = []
    collection.changed.add(heard.append)
    collection.switch(collection.scene_named(STARTING_SOON).id)
    collection.switch(collection.scene_named(STARTING_SOON).id)  # already on air: no news
    assert heard == ["current"]


def test_the_settings_saver_keeps_the_collection_saved(tmp_path: Path) -> None:
    collection = starter_collection()
    store = SceneStore(tmp_path)
    SettingsSaver(store, collection)  # no event loop: each change is written at once
    collection.switch(collection.scene_named(BE_RIGHT_BACK).id)
    assert store.load().current_scene() == collection.scene_named(BE_RIGHT_BACK)
