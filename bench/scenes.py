"""Scene compositing on one thread (printed, never asserted).

    onair bench scenes          (or: python -m bench.scenes)

A 1920x1080 canvas of a full-screen X11 screen capture, the camera (a 720p synthetic face
through the default beauty chain) in a corner, a PNG logo with transparency and a clock
text. Rows: the screen grab at 1080p (``mss``), the camera's effect chain, the compositor's
own cost a frame (``Compositor.compose`` alone, timed after a new screen and camera picture
are handed in, as live: making them is the grab's and the chain's work), the same canvas
composed the plain way in the same run (every layer cropped, scaled and blended with float
``numpy`` over the canvas, each frame, timed the same way), the whole frame (grab + effects
+ compose) and the compositor's share of it. Without a DISPLAY the benchmark starts its own
``Xvfb`` at 1920x1080 (grabbing costs the same whatever is on the screen).
``ONAIR_BENCH_FRAMES`` sets the frames per row (default 40).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image as PILImage

from bench.filters import DEFAULT_PRESET, Samples, _calibration, _frames, _row, _timed
from filters import presets
from filters.pipeline import Pipeline
from filters.synthetic import SyntheticFaceClip
from studio.core.frames import ProcessedFrame
from studio.core.scenes.capture import Region, ScreenGrabber
from studio.core.scenes.compositor import Compositor, SourceRack
from studio.core.scenes.model import Layer, SceneCollection, Transform
from studio.core.scenes.sources import Picture
from studio.core.sources import Image

CANVAS = (1920, 1080)
CAMERA = (1280, 720)
CAMERA_BOX = Transform(1392, 756, 480, 270)
LOGO_BOX = Transform(48, 48, 320, 160)
CLOCK_BOX = Transform(1500, 40, 380, 90, keep_aspect=True)


class FedRack(SourceRack):
    """The bench hands the screen picture in itself (grabbed on this thread, timed apart)."""

    def __init__(self, camera: Callable[[], ProcessedFrame | None]) -> None:
        super().__init__(camera)
        self.screen_id = ""
        self.screen: Picture | None = None

    def picture(self, source_id: str, now: float) -> Picture | None:
        if source_id == self.screen_id:
            return self.screen
        return super().picture(source_id, now)


def start_xvfb(screen: str) -> tuple[subprocess.Popen[bytes], str]:
    """An Xvfb server with one ``screen`` (e.g. ``"640x480x24"``) on a free display number,
    and that display's name."""
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        return server, f":{pipe.readline().strip()}"


@contextlib.contextmanager
def x_display() -> Iterator[str]:
    """The DISPLAY to grab: this session's, or a 1080p Xvfb of our own."""
    if os.environ.get("DISPLAY"):
        yield "this session's display"
        return
    if shutil.which("Xvfb") is None:
        raise SystemExit("bench scenes: no DISPLAY and no Xvfb to start one (apt install xvfb)")
    server, os.environ["DISPLAY"] = start_xvfb("1920x1080x24")
    try:
        yield "Xvfb 1920x1080"
    finally:
        del os.environ["DISPLAY"]
        server.terminate()
        server.wait(10)


def logo(folder: Path) -> Path:
    """A 320x160 PNG: a coloured disc on transparency."""
    pixels = np.zeros((160, 320, 4), np.uint8)
    cv2.ellipse(pixels, (160, 80), (150, 70), 0, 0, 360, (255, 80, 40, 255), -1, cv2.LINE_AA)
    path = folder / "logo.png"
    PILImage.fromarray(pixels, "RGBA").save(path)
    return path


def scene(folder: Path) -> tuple[SceneCollection, str]:
    collection = SceneCollection(canvas="1920x1080")
    screen = collection.add_source("screen", "Screen")
    camera = collection.add_source("camera", "Camera")
    image = collection.add_source("image", "Logo", {"path": str(logo(folder))})
    clock = collection.add_source("text", "Clock", {"mode": "clock", "outline": 2})
    collection.add_scene(
        "Screen + camera",
        [
            Layer("screen", screen.id, Transform.filling(*CANVAS)),
            Layer("camera", camera.id, CAMERA_BOX),
            Layer("logo", image.id, LOGO_BOX),
            Layer("clock", clock.id, CLOCK_BOX),
        ],
    )
    return collection, screen.id


def plain_compose(collection: SceneCollection, rack: SourceRack, now: float) -> Image:
    """The canvas the plain way: each layer cropped, scaled and float-blended every frame."""
    width, height = collection.size
    canvas = np.zeros((height, width, 3), np.float32)
    current = collection.current_scene()
    assert current is not None
    for layer in current.layers:
        picture = rack.picture(layer.source_id, now)
        if picture is None:
            continue
        box = layer.transform
        pixels = cv2.resize(picture.image, (box.width, box.height)).astype(np.float32)
        region = canvas[box.y : box.y + box.height, box.x : box.x + box.width]
        if picture.alpha is None:
            region[...] = pixels[: region.shape[0], : region.shape[1]]
            continue
        alpha = cv2.resize(picture.alpha, (box.width, box.height)).astype(np.float32) / 255.0
        alpha = alpha[: region.shape[0], : region.shape[1], None]
        region[...] = pixels[: region.shape[0], : region.shape[1]] * alpha + region * (1 - alpha)
    return canvas.astype(np.uint8)


def main() -> None:
    cv2.setNumThreads(1)
    count = _frames()
    print(f"scenes benchmark: one thread, {count} frames per row, canvas 1920x1080")
    _calibration()
    with x_display() as display, tempfile.TemporaryDirectory() as folder:
        grabber = ScreenGrabber(1, Region(), fps=1000.0)
        clip = SyntheticFaceClip(*CAMERA)
        frames = [clip.frame(i) for i in range(count + 10)]
        default = next(p for p in presets.builtin() if p.name == DEFAULT_PRESET)
        chain = Pipeline(default.video_filters())
        latest: list[ProcessedFrame] = []
        rack = FedRack(lambda: latest[-1] if latest else None)
        collection, rack.screen_id = scene(Path(folder))
        rack.sync(collection.sources)
        compositor = Compositor(collection, rack)
        grabbed = grabber.grab()
        print(f"\ngrabbing {display} ({grabbed.shape[1]}x{grabbed.shape[0]})")
        print(" " * 36 + "median ms   p99 ms   CPU ms       fps")

        def camera(index: int) -> None:
            image = chain.process(frames[index % len(frames)], timestamp=index / 30.0)
            latest.append(ProcessedFrame(image, index + 1, index, time.monotonic(), 0.0))
            del latest[:-1]

        def fresh_screen() -> None:
            rack.screen = Picture(grabber.grab(), None, time.monotonic())

        in_whole: Samples = ([], [])  # compose's share of each whole frame

        def whole(index: int) -> None:
            fresh_screen()
            camera(index)
            started, started_cpu = time.perf_counter(), time.process_time()
            compositor.compose(time.monotonic())
            in_whole[0].append(time.perf_counter() - started)
            in_whole[1].append(time.process_time() - started_cpu)

        def new_pictures(index: int) -> None:
            """A new screen and camera picture, as live (made by the capture and the effect
            chain, whose rows time them; not the compositor's work)."""
            rack.screen = Picture(grabbed.copy(), None, 0.0)
            latest.append(ProcessedFrame(latest[-1].image.copy(), index, index, 0.0, 0.0))
            del latest[:-1]

        rows: dict[str, Samples] = {
            "screen grab 1080p (mss)": _timed(lambda _: grabber.grab(), count),
            "camera 720p, default beauty chain": _timed(camera, count),
            "compositor (compose only)": _timed(
                lambda _: compositor.compose(time.monotonic()), count, before=new_pictures
            ),
            "plain numpy per-layer blend": _timed(
                lambda _: plain_compose(collection, rack, time.monotonic()),
                count,
                before=new_pictures,
            ),
        }
        rows["whole frame: grab + effects + compose"] = _timed(whole, count)
        # The pictures were made just before (caches warm) in the compose-only row; here the
        # effect chain ran in between, as live.
        rows["compositor, within the whole frame"] = (in_whole[0][-count:], in_whole[1][-count:])
        for label, samples in rows.items():
            _row(label, samples)
        chain.close()
        rack.close()
        grabber.close()


if __name__ == "__main__":
    main()
