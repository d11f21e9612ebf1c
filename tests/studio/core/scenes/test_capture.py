"""Screen capture under Xvfb: a window drawing a known pattern is grabbed pixel for pixel, as
a region and inside a scene; a display that goes away becomes a placeholder message.

The window is drawn by a separate process (a tiny PySide6 script on Xvfb's display): the core
tests stay free of Qt in their own process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bench.scenes import start_xvfb
from studio.core.scenes.capture import Region, ScreenGrabber
from studio.core.scenes.compositor import Compositor, SourceRack
from studio.core.scenes.model import SceneCollection, Transform
from studio.core.sources import Image

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (xvfb)")

LEFT, TOP, WIDTH, HEIGHT = 100, 50, 200, 100
PATTERN_WINDOW = f"""
import sys
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QLabel

app = QApplication(sys.argv)
image = QImage({WIDTH}, {HEIGHT}, QImage.Format.Format_RGB888)
for y in range({HEIGHT}):
    for x in range({WIDTH}):
        image.setPixelColor(x, y, QColor((x * 7) % 256, (y * 11) % 256, ((x + y) * 5) % 256))
label = QLabel()
label.setWindowFlag(Qt.WindowType.FramelessWindowHint)
label.setPixmap(QPixmap.fromImage(image))
label.setGeometry({LEFT}, {TOP}, {WIDTH}, {HEIGHT})
label.show()
app.exec()
"""


def pattern() -> Image:
    """The window's pixels as BGR."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    bgr = np.stack([((x + y) * 5) % 256, (y * 11) % 256, (x * 7) % 256], axis=2)
    return bgr.astype(np.uint8)


@pytest.fixture
def xvfb(monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[bytes]]:
    """An Xvfb server (640x480) as this test's DISPLAY."""
    server, display = start_xvfb("640x480x24")
    monkeypatch.setenv("DISPLAY", display)
    try:
        yield server
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def pattern_window(xvfb: subprocess.Popen[bytes], tmp_path: Path) -> Iterator[None]:
    script = tmp_path / "pattern_window.py"
    script.write_text(PATTERN_WINDOW)
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    env.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)  # cv2's Qt plugins are not PySide6's
    window = subprocess.Popen([sys.executable, str(script)], env=env)
    grabber = ScreenGrabber(1, Region(LEFT, TOP, WIDTH, HEIGHT))
    deadline = time.monotonic() + 30
    while not np.array_equal(grabber.grab(), pattern()):  # until the window is drawn
        assert time.monotonic() < deadline, "the pattern window never showed"
        assert window.poll() is None, "the pattern window's process ended"
        time.sleep(0.1)
    try:
        yield
    finally:
        window.terminate()
        window.wait(10)


@pytest.mark.usefixtures("pattern_window")
def test_a_region_grab_is_the_windows_pixels_exactly() -> None:
    grabber = ScreenGrabber(1, Region(LEFT - 10, TOP - 5, WIDTH + 20, HEIGHT + 10), fps=30.0)
    frame = grabber.read()
    assert frame is not None
    assert frame.image.shape == (HEIGHT + 10, WIDTH + 20, 3)
    assert np.array_equal(frame.image[5:-5, 10:-10], pattern())
    whole = ScreenGrabber(1).grab()
    assert whole.shape == (480, 640, 3)
    assert np.array_equal(whole[TOP : TOP + HEIGHT, LEFT : LEFT + WIDTH], pattern())
    grabber.close()


@pytest.mark.usefixtures("pattern_window")
def test_a_screen_layer_shows_the_window_on_the_canvas() -> None:
    collection = SceneCollection(canvas="1280x720")
    region = {"x": LEFT, "y": TOP, "width": WIDTH, "height": HEIGHT}
    screen = collection.add_source("screen", "Screen", region)
    scene = collection.add_scene("Screen")
    collection.add_layer(scene.id, screen.id, Transform(300, 200, WIDTH, HEIGHT))
    rack = SourceRack(lambda: None)
    rack.sync(collection.sources)
    compositor = Compositor(collection, rack)
    try:
        deadline = time.monotonic() + 10
        canvas = compositor.compose(time.monotonic())
        while not canvas.any() and time.monotonic() < deadline:  # the first grab
            time.sleep(0.02)
            canvas = compositor.compose(time.monotonic())
        assert np.array_equal(canvas[200 : 200 + HEIGHT, 300 : 300 + WIDTH], pattern())
        assert rack.status(screen.id) == ""
    finally:
        rack.close()


def test_a_region_outside_the_screen_says_so(xvfb: subprocess.Popen[bytes]) -> None:
    with pytest.raises(OSError, match=r"outside the screen \(640x480\)"):
        ScreenGrabber(1, Region(700, 0)).grab()
    with pytest.raises(OSError, match="there is no screen 3"):
        ScreenGrabber(3).grab()


def test_a_display_that_goes_away_becomes_a_placeholder_message(
    xvfb: subprocess.Popen[bytes],
) -> None:
    collection = SceneCollection(canvas="1280x720")
    screen = collection.add_source("screen", "Screen")
    scene = collection.add_scene("Screen")
    collection.add_layer(scene.id, screen.id)
    rack = SourceRack(lambda: None)
    rack.sync(collection.sources)
    compositor = Compositor(collection, rack)
    try:
        deadline = time.monotonic() + 10
        while rack.picture(screen.id, time.monotonic()) is None:  # grabbing
            assert time.monotonic() < deadline
            time.sleep(0.02)
        xvfb.terminate()
        xvfb.wait(10)
        while not rack.status(screen.id):
            assert time.monotonic() < deadline + 10
            compositor.compose(time.monotonic())
            time.sleep(0.02)
        assert rack.status(screen.id).startswith("Screen capture is not available: the screen")
        assert compositor.compose(time.monotonic()).any()  # the placeholder, not a stop
    finally:
        rack.close()
