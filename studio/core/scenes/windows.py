"""Window capture on X11: one application window, found by its title (no Qt).

The windows come from ``xwininfo`` (Debian's ``x11-utils``, which every X11 desktop has);
the pixels from FFmpeg's ``x11grab`` through PyAV, which reads the window itself by its id:
a window that moves is followed without looking for it again. A window that closes ends the
capture with an OSError saying so (the layer shows it on its placeholder); one that changes
size is opened again at its new size.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import av
import av.error
import numpy as np

from studio.core.scenes.capture import PacedGrabber, unavailable
from studio.core.sources import Image

LIST_TIMEOUT_S: Final = 5.0
LISTED_FOR_S: Final = 2.0  # a list of windows is asked for again after this long
# xwininfo -tree: `0x2a00007 "Title": ("res" "Class")  640x480+10+20  +10+20`
_TREE_LINE: Final = re.compile(
    r'^\s*(0x[0-9a-f]+) "(?P<title>.*)": \((?P<cls>[^)]*)\)\s+(?P<w>\d+)x(?P<h>\d+)[+-]'
)


@dataclass(frozen=True)
class Window:
    id: int
    title: str
    width: int
    height: int


_listed: tuple[float, list[Window]] = (0.0, [])
_listing = threading.Lock()


def list_windows(fresh: bool = False) -> list[Window]:
    """The application windows of this X11 display, by title (empty without one). Asked of
    the X server at most every ``LISTED_FOR_S`` unless ``fresh``."""
    global _listed
    with _listing:
        at, windows = _listed
        if fresh or time.monotonic() - at > LISTED_FOR_S:
            windows = _ask_for_windows()
            _listed = (time.monotonic(), windows)
        return list(windows)


def find_window(title: str) -> Window | None:
    """The window called ``title``, else the first whose title contains it."""
    windows = list_windows(fresh=True)
    exact = (w for w in windows if w.title == title)
    return next(exact, None) or next((w for w in windows if title and title in w.title), None)


def _ask_for_windows() -> list[Window]:
    if unavailable() or shutil.which("xwininfo") is None:
        return []
    try:
        tree = subprocess.run(
            ["xwininfo", "-root", "-tree"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=LIST_TIMEOUT_S,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    windows = []
    for line in tree.splitlines():
        found = _TREE_LINE.match(line)
        # Application windows have a class (toolkits' helper windows do not) and a size.
        if found and found["cls"].strip() and int(found["w"]) > 1 and int(found["h"]) > 1:
            size = int(found["w"]), int(found["h"])
            windows.append(Window(int(found[1], 16), found["title"], *size))
    return windows


class WindowGrabber(PacedGrabber):
    """Frames of the window called ``title`` (see :func:`find_window`), ``fps`` a second,
    paced by :class:`PacedGrabber`: x11grab's own clock would grab a burst after a pause to
    catch up. Only the reading thread touches the capture."""

    def __init__(self, title: str, fps: float = 30.0) -> None:
        problem = unavailable()
        if problem:
            raise OSError(problem)
        if shutil.which("xwininfo") is None:
            raise OSError("the X11 tools are missing (install x11-utils)")
        if not title:
            raise OSError("no window is chosen yet (pick one in the source's properties)")
        window = find_window(title)
        if window is None:
            raise OSError(f'no window is called "{title}" (is it open?)')
        super().__init__(fps)
        self.window = window
        self.width, self.height = window.width, window.height
        self._frames: Iterator[av.VideoFrame] | None = None
        self._container: av.container.InputContainer | None = None

    def grab(self) -> Image:
        try:
            return self._next_frame()
        except (av.error.FFmpegError, StopIteration):
            self.release()
        still = next((w for w in list_windows(fresh=True) if w.id == self.window.id), None)
        if still is None:
            raise OSError(f'the window "{self.window.title}" was closed')
        self.window = still  # it changed size: open it again at the new one
        self.width, self.height = still.width, still.height
        try:
            return self._next_frame()
        except (av.error.FFmpegError, StopIteration):
            self.release()
            title = self.window.title
            raise OSError(f'the window "{title}" cannot be read (is it minimised?)') from None

    def _next_frame(self) -> Image:
        frames = self._frames or self._open()
        return np.asarray(next(frames).to_ndarray(format="bgr24"), np.uint8)

    def _open(self) -> Iterator[av.VideoFrame]:
        container = av.open(
            os.environ.get("DISPLAY", ""),
            format="x11grab",
            options={
                "window_id": str(self.window.id),
                "framerate": str(self.fps),
                "draw_mouse": "0",
            },
        )
        self._container = container
        self._frames = container.decode(video=0)
        return self._frames

    def release(self) -> None:
        container, self._container, self._frames = self._container, None, None
        if container is not None:
            container.close()
