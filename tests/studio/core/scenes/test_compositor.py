"""The compositor as the broadcast's program: camera layers show the effect chain's frames,
composed frames keep the camera's capture time, switching cuts or fades, edits of sources
reach the live picture."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from studio.core.broadcast import Broadcast
from studio.core.frames import ProcessedFrame
from studio.core.scenes.compositor import Compositor, SourceRack
from studio.core.scenes.model import SceneCollection, Transform, Transition
from studio.core.source_switch import SAMPLE
from studio.core.sources import Image
from tests.helpers_media import GREY, StillSource

WIDTH, HEIGHT = 1280, 720


def camera_in_a_corner() -> SceneCollection:
    collection = SceneCollection(canvas="1280x720")
    camera = collection.add_source("camera", "Camera")
    backdrop = collection.add_source("color", "Backdrop", {"color": "#0000ff"})
    scene = collection.add_scene("Corner")
    collection.add_layer(scene.id, backdrop.id, Transform.filling(WIDTH, HEIGHT))
    collection.add_layer(scene.id, camera.id, Transform(960, 540, 320, 180))
    return collection


async def test_the_program_is_the_scene_with_the_camera_through_the_effects() -> None:
    broadcast = Broadcast()
    camera = StillSource(640, 360)
    broadcast.use_source(camera, SAMPLE)
    broadcast.chain.pipeline.set_filters([])
    broadcast.use_scenes(camera_in_a_corner())
    try:
        program = broadcast.program
        assert program is not None and program is not broadcast.flow
        frame = await asyncio.wait_for(program.next(3), 10)  # some frames in: the camera is on
        assert frame.image.shape == (HEIGHT, WIDTH, 3)
        assert (frame.image[540:720, 960:1280] == GREY).all()  # the camera, scaled down
        assert (frame.image[:540] == (255, 0, 0)).all()  # the blue backdrop around it
        camera_frame = broadcast.flow.latest() if broadcast.flow is not None else None
        assert camera_frame is not None and frame.captured_at <= camera_frame.captured_at
        assert frame.captured_at < frame.processed_at  # the camera's capture time, kept
    finally:
        await broadcast.close()


async def test_a_source_edited_while_the_program_runs_shows_at_once() -> None:
    broadcast = Broadcast()
    collection = camera_in_a_corner()
    broadcast.use_scenes(collection)  # no camera yet: the scene runs on its own clock
    try:
        program = broadcast.program
        assert program is not None
        first = await asyncio.wait_for(program.next(0), 10)
        assert (first.image[0, 0] == (255, 0, 0)).all()
        backdrop = next(s for s in collection.sources.values() if s.kind == "color")
        collection.update_source(backdrop.id, color="#00ff00")
        seq = first.seq
        while True:
            frame = await asyncio.wait_for(program.next(seq), 10)
            seq = frame.seq
            if (frame.image[0, 0] == (0, 255, 0)).all():
                break
        assert broadcast.layer_status(backdrop.id) == ""
        camera = next(s for s in collection.sources.values() if s.kind == "camera")
        assert broadcast.layer_status(camera.id) == "Waiting for the camera…"
    finally:
        await broadcast.close()


def colour_scenes(transition: Transition, fade_ms: int = 200) -> tuple[Compositor, str]:
    collection = SceneCollection(canvas="1280x720", transition=transition, fade_ms=fade_ms)
    for name, colour in (("Black", "#000000"), ("White", "#ffffff")):
        fill = collection.add_source("color", name, {"color": colour})
        scene = collection.add_scene(name)
        collection.add_layer(scene.id, fill.id)
    rack = SourceRack(lambda: None)
    rack.sync(collection.sources)
    return Compositor(collection, rack), collection.scene_named("White").id


def test_a_cut_shows_the_new_scene_in_the_next_frame() -> None:
    compositor, white = colour_scenes(Transition.CUT)
    now = time.monotonic()
    assert compositor.compose(now).max() == 0
    compositor.collection.switch(white)
    assert compositor.compose(now + 0.001).min() == 255


def test_a_fade_blends_the_scenes_over_its_length() -> None:
    compositor, white = colour_scenes(Transition.FADE, fade_ms=200)
    now = time.monotonic()
    compositor.compose(now)
    compositor.collection.switch(white)
    levels = [int(compositor.compose(now + t).mean()) for t in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)]
    assert levels == [0, 64, 128, 191, 255, 255]
    assert np.ptp(compositor.compose(now + 0.1)) == 0  # evenly, everywhere


def test_a_frame_that_fails_to_compose_keeps_the_last_good_one_on_air(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compositor, white = colour_scenes(Transition.CUT)
    compositor.collection.switch(white)
    good = compositor.read()
    assert good is not None and good.image.min() == 255

    def broken(scene_id: str, now: float) -> Image:
        raise RuntimeError("a bug")

    monkeypatch.setattr(compositor, "_scene_canvas", broken)
    after = compositor.read()
    assert after is not None and after.image is good.image and after.index == good.index + 1


def test_layers_no_longer_on_air_are_not_kept() -> None:
    compositor, white = colour_scenes(Transition.CUT)
    now = time.monotonic()
    compositor.compose(now)
    black_layers = set(compositor._cache.placed)
    compositor.collection.switch(white)
    compositor.compose(now + 0.01)
    assert set(compositor._cache.placed).isdisjoint(black_layers)
    assert len(compositor._cache.placed) == 1


def test_a_canvas_still_held_downstream_is_never_drawn_into_and_one_let_go_is_used_again() -> None:
    collection = camera_in_a_corner()
    shown: list[ProcessedFrame] = []
    rack = SourceRack(lambda: shown[-1])
    rack.sync(collection.sources)
    compositor = Compositor(collection, rack)

    def camera_shows(bgr: tuple[int, int, int]) -> None:
        image = np.full((360, 640, 3), bgr, np.uint8)
        shown.append(ProcessedFrame(image, len(shown) + 1, len(shown), 0.0, 0.0))

    now = time.monotonic()
    camera_shows((0, 0, 255))
    held = compositor.compose(now)  # an encoder or the preview still reads this one
    pixels = held.copy()
    camera_shows((0, 255, 0))
    second = compositor.compose(now)
    assert second is not held and np.array_equal(held, pixels)
    assert (second[540:, 960:] == (0, 255, 0)).all() and (second[:540] == (255, 0, 0)).all()
    del held, second
    allocated = compositor._buffers.made
    for _ in range(5):  # every canvas and scaled camera picture is let go at once
        camera_shows((255, 255, 255))
        assert (compositor.compose(now)[540:, 960:] == 255).all()
    assert compositor._buffers.made == allocated
