"""Window capture under Xvfb: a window drawing a known pattern is listed by its title, shown
on a layer pixel for pixel, followed when it moves, and becomes a placeholder saying so when it
closes. The window is drawn by a separate process (PySide6 on Xvfb's display), which moves
or closes its window when the test leaves a file named ``move`` or ``close`` beside it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from studio.core.scenes.capture import Region, ScreenGrabber
from studio.core.scenes.compositor import Compositor, SourceRack
from studio.core.scenes.model import SceneCollection, Transform
from studio.core.scenes.sources import WindowSource, describe_kinds
from studio.core.scenes.windows import list_windows
from studio.core.sources import Image
from tests.studio.core.scenes.test_capture import (  # noqa: F401  (xvfb: a fixture)
    HEIGHT,
    LEFT,
    PATTERN_WINDOW,
    TOP,
    WIDTH,
    pattern,
    pytestmark,
    xvfb,
)

TITLE = "Pattern window"
MOVED_TO = (360, 300)
DRIVEN_WINDOW = PATTERN_WINDOW.replace(
    "label.show()",
    f"""label.setWindowTitle({TITLE!r})
label.show()
from pathlib import Path
from PySide6.QtCore import QTimer
here = Path(sys.argv[1])
def follow_the_test():
    if (here / "move").exists():
        label.move(*{MOVED_TO})
    if (here / "close").exists():
        app.quit()
timer = QTimer()
timer.timeout.connect(follow_the_test)
timer.start(50)""",
)


@pytest.fixture
def driven_window(
    xvfb: subprocess.Popen[bytes],  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> Iterator[Callable[[str], None]]:
    """The pattern window, and a function that leaves it a ``move`` or ``close`` file."""
    script = tmp_path / "driven_window.py"
    script.write_text(DRIVEN_WINDOW)
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    env.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)  # cv2's Qt plugins are not PySide6's
    window = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=env)
    until(lambda: shows_pattern_at(LEFT, TOP), "the pattern window never showed")
    try:
        yield lambda order: (tmp_path / order).touch()
    finally:
        window.terminate()
        window.wait(10)


def until(done: Callable[[], bool], failure: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def shows_pattern_at(x: int, y: int) -> bool:
    return np.array_equal(ScreenGrabber(1, Region(x, y, WIDTH, HEIGHT)).grab(), pattern())


def window_layer() -> tuple[Compositor, str]:
    collection = SceneCollection(canvas="1280x720")
    window = collection.add_source("window", "Window", {"window": TITLE})
    scene = collection.add_scene("Window")
    collection.add_layer(scene.id, window.id, Transform(300, 200, WIDTH, HEIGHT))
    rack = SourceRack(lambda: None)
    rack.sync(collection.sources)
    return Compositor(collection, rack), window.id


def on_the_layer(compositor: Compositor) -> Image:
    return compositor.compose(time.monotonic())[200 : 200 + HEIGHT, 300 : 300 + WIDTH]


def status_drawn(compositor: Compositor, source: str) -> str:
    """The layer's status as of a frame composed now (it follows what was last drawn)."""
    compositor.compose(time.monotonic())
    return compositor.rack.status(source)


def test_a_window_is_listed_by_title_shown_exactly_and_followed_when_it_moves(
    driven_window: Callable[[str], None],
) -> None:
    listed = [w for w in list_windows(fresh=True) if w.title == TITLE]
    assert [(w.width, w.height) for w in listed] == [(WIDTH, HEIGHT)]
    kind = next(k for k in describe_kinds() if k["kind"] == "window")
    picker = next(p for p in kind["parameters"] if p["name"] == "window")
    assert picker["type"] == "choice" and TITLE in picker["choices"]

    compositor, source = window_layer()
    try:
        until(lambda: np.array_equal(on_the_layer(compositor), pattern()), "never captured")
        driven_window("move")
        until(lambda: shows_pattern_at(*MOVED_TO), "the window never moved")
        assert not shows_pattern_at(LEFT, TOP)
        for _ in range(3):  # still the window, frame after frame
            time.sleep(0.1)
            assert np.array_equal(on_the_layer(compositor), pattern())
        assert compositor.rack.status(source) == ""
    finally:
        compositor.rack.close()


def test_a_closed_window_becomes_a_placeholder_that_says_so(
    driven_window: Callable[[str], None],
) -> None:
    compositor, source = window_layer()
    try:
        until(lambda: np.array_equal(on_the_layer(compositor), pattern()), "never captured")
        driven_window("close")
        until(lambda: bool(status_drawn(compositor, source)), "the closing went unnoticed")
        assert compositor.rack.status(source) == f'Window capture: the window "{TITLE}" was closed'
        assert not np.array_equal(on_the_layer(compositor), pattern())  # the placeholder
    finally:
        compositor.rack.close()


@pytest.mark.usefixtures("xvfb")
def test_a_window_that_is_not_open_says_so() -> None:
    source = WindowSource({"window": "Nothing like it"})
    source.start()
    until(lambda: bool(source.picture(0.0) is None and source.status), "no word", 10)
    assert source.status == 'Window capture: no window is called "Nothing like it" (is it open?)'
    source.close()
