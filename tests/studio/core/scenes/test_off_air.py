"""Only what is on air captures: the sources of other scenes pause (a media file stops
decoding, the camera's flow stops running the effect chain) and resume when their scene goes
on air, which then shows new pictures at once, never one from when they paused; a fade keeps
both scenes' sources running."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import cv2
import numpy as np

from studio.core.broadcast import Broadcast
from studio.core.frames import FrameFlow, ProcessedFrame, Program
from studio.core.marker import draw_marker, read_marker
from studio.core.scenes.compositor import WARM_UP_S, Compositor, SourceRack
from studio.core.scenes.model import SceneCollection, Transition
from studio.core.source_switch import SAMPLE
from tests.helpers_media import GREY, StillSource

WIDTH, HEIGHT = 640, 360
CLIP_FRAMES = 300  # 10 s at 30 fps: it does not loop during a test


def marked_clip(path: Path) -> Path:
    """A grey video file whose every frame carries its index as a marker."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30.0, (WIDTH, HEIGHT))
    for index in range(CLIP_FRAMES):
        frame = np.full((HEIGHT, WIDTH, 3), 60, np.uint8)
        draw_marker(frame, index)
        writer.write(frame)
    writer.release()
    return path


def camera_and_clip(clip: Path, transition: Transition, fade_ms: int = 200) -> SceneCollection:
    collection = SceneCollection(canvas="1280x720", transition=transition, fade_ms=fade_ms)
    camera = collection.add_source("camera", "Camera")
    media = collection.add_source("media", "Clip", {"path": str(clip), "loop": False})
    for name, source in (("Camera", camera), ("Clip", media)):
        scene = collection.add_scene(name)
        collection.add_layer(scene.id, source.id)
    collection.switch(collection.scene_named("Camera").id)
    return collection


def clip_index(broadcast: Broadcast, collection: SceneCollection) -> int | None:
    """The marker of the clip's newest decoded frame (None before the first)."""
    media = next(s for s in collection.sources.values() if s.kind == "media")
    assert broadcast.compositor is not None
    picture = broadcast.compositor.rack.picture(media.id, time.monotonic())
    return read_marker(picture.image) if picture is not None else None


async def first_frame_where(
    program: Program, shows: str, after: ProcessedFrame | None = None
) -> ProcessedFrame:
    """The first program frame (after ``after``) that shows the camera (grey all over) or the
    clip (a marker on its darker grey)."""
    seq = after.seq if after is not None else 0
    while True:
        frame = await asyncio.wait_for(program.next(seq), 10)
        seq = frame.seq
        middle = int(frame.image[400, 640, 0])
        if (shows == "camera" and middle == GREY) or (shows == "clip" and abs(middle - 60) < 8):
            return frame


async def test_a_scene_off_air_does_not_capture_and_comes_back_with_new_pictures(
    tmp_path: Path,
) -> None:
    collection = camera_and_clip(marked_clip(tmp_path / "clip.avi"), Transition.CUT)
    broadcast = Broadcast()
    broadcast.use_source(StillSource(WIDTH, HEIGHT), SAMPLE)
    broadcast.chain.pipeline.set_filters([])
    broadcast.use_scenes(collection)
    try:
        program, camera = broadcast.program, broadcast.flow
        assert program is not None and camera is not None
        on_camera = await first_frame_where(program, "camera")
        await asyncio.sleep(0.3)
        paused_at = clip_index(broadcast, collection)  # decoded before the first frame paused it
        await asyncio.sleep(0.5)
        assert clip_index(broadcast, collection) == paused_at  # the clip decodes nothing off air

        collection.switch(collection.scene_named("Clip").id)
        on_clip = await first_frame_where(program, "clip", on_camera)
        shown = read_marker(on_clip.image)
        # A frame decoded after the switch, just after where it paused: not the one it paused
        # on, not fast-forwarded through the pause (15 frames); one or two more may have been
        # decoded by the time the first frame of the switch is composed.
        assert paused_at is not None and shown is not None
        assert paused_at < shown <= paused_at + 3
        await asyncio.sleep(0.3)
        assert camera.paused
        processed = camera.stats.processed
        await asyncio.sleep(0.5)
        assert camera.stats.processed == processed  # no camera frame through the effects

        switched_at = time.monotonic()
        collection.switch(collection.scene_named("Camera").id)
        back = await first_frame_where(program, "camera", on_clip)
        assert not camera.paused
        assert back.captured_at >= switched_at  # a camera frame taken since, not the old one
    finally:
        await broadcast.close()


async def test_a_fade_keeps_both_scenes_capturing_until_it_ends(tmp_path: Path) -> None:
    collection = camera_and_clip(marked_clip(tmp_path / "clip.avi"), Transition.FADE, 300)
    camera = FrameFlow(StillSource(WIDTH, HEIGHT))
    camera.start()
    rack = SourceRack(camera.latest)
    rack.sync(collection.sources)
    compositor = Compositor(collection, rack, lambda: camera)
    media = next(s.id for s in collection.sources.values() if s.kind == "media")

    async def capturing_for_a_while(now: float) -> tuple[bool, bool]:
        """Whether the camera and the clip take new pictures while frames at ``now`` (on the
        compositor's clock) are composed."""
        compositor.compose(now)
        await asyncio.sleep(0.3)  # a frame read as it was paused is in
        processed, picture = camera.stats.processed, rack.picture(media, now)
        for _ in range(10):
            compositor.compose(now)
            await asyncio.sleep(0.05)
        newer = rack.picture(media, now)
        clip_moved = picture is None or (newer is not None and newer.image is not picture.image)
        return camera.stats.processed > processed, clip_moved

    try:
        start = time.monotonic()
        assert await capturing_for_a_while(start) == (True, False)  # the camera scene
        collection.switch(collection.scene_named("Clip").id)
        compositor.compose(start + 1.0)  # the clip resumes...
        compositor.compose(start + 1.0 + WARM_UP_S)  # ...and the fade starts at the latest now
        assert await capturing_for_a_while(start + 1.1 + WARM_UP_S) == (True, True)  # mid-fade
        assert await capturing_for_a_while(start + 2.0) == (False, True)  # the fade is over
        assert camera.paused
    finally:
        camera.stop()
        rack.close()
