"""Screen capture on X11 with ``mss``: a whole screen or a region, as a video source (no Qt).

Wayland sessions (without an X11 display) and machines without any display cannot be
captured yet: :func:`unavailable` says so in words a person can act on, and the grabber
raises OSError with that message, which the scene source shows on its placeholder.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

import cv2
import mss
import mss.exception
import numpy as np

from studio.core.sources import Image, SourceFrame


@dataclass(frozen=True)
class Region:
    """A part of a screen in its pixels; ``width`` or ``height`` 0 means "to the edge"."""

    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0


def unavailable() -> str:
    """Why screen capture cannot work in this session ("" when it can)."""
    if os.environ.get("DISPLAY"):
        return ""
    if os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland":
        return (
            "this is a Wayland session, and only X11 screens can be captured for now "
            '(log in with an X11 session, e.g. "GNOME on Xorg")'
        )
    return "there is no X11 display (DISPLAY is not set)"


class PacedGrabber:
    """A video source of pictures grabbed ``fps`` times a second by :meth:`grab` on the
    reading thread (``close`` from another thread only asks it to stop)."""

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self.width, self.height = 0, 0
        self._closed = threading.Event()
        self._index = 0
        self._due = time.monotonic()

    def read(self) -> SourceFrame | None:
        if self._closed.wait(max(0.0, self._due - time.monotonic())):
            self.release()
            return None
        self._due = max(self._due + 1.0 / self.fps, time.monotonic())
        image = self.grab()
        self._index += 1
        return SourceFrame(image, self._index - 1, time.monotonic())

    def grab(self) -> Image:
        raise NotImplementedError

    def release(self) -> None:
        """Let go of what grabbing holds (on the reading thread, once closed)."""

    def close(self) -> None:
        self._closed.set()


class ScreenGrabber(PacedGrabber):
    """Grabs ``region`` of screen ``monitor`` (1 = the first; 0 = all screens together)
    ``fps`` times a second. ``read`` runs on the reading thread, which owns the X11
    connection (mss connections must stay on the thread that made them)."""

    def __init__(self, monitor: int = 1, region: Region = Region(), fps: float = 30.0) -> None:
        problem = unavailable()
        if problem:
            raise OSError(problem)
        super().__init__(fps)
        self.monitor, self.region = monitor, region
        self._grabber: mss.MSS | None = None
        self._box: dict[str, int] = {}

    def grab(self) -> Image:
        """One picture of the region now, BGR (OSError when the display went away)."""
        try:
            if self._grabber is None:
                self._grabber = mss.MSS()
                self._box = self._bounds(self._grabber)
            shot = self._grabber.grab(self._box)
        except (mss.exception.ScreenShotError, AssertionError) as exc:
            # mss asserts (rather than raising its own error) when the X server went away
            raise OSError(f"the screen could not be read ({exc or 'the display closed'})") from exc
        bgra = np.frombuffer(shot.raw, np.uint8).reshape(shot.height, shot.width, 4)
        return np.asarray(cv2.cvtColor(bgra, cv2.COLOR_BGRA2BGR), np.uint8)

    def _bounds(self, grabber: mss.MSS) -> dict[str, int]:
        monitors = grabber.monitors
        if not 0 <= self.monitor < len(monitors):
            raise OSError(f"there is no screen {self.monitor} (screens: 1 to {len(monitors) - 1})")
        screen = monitors[self.monitor]
        region = self.region
        if region.x >= screen["width"] or region.y >= screen["height"]:
            raise OSError(
                f"the region starts outside the screen ({screen['width']}x{screen['height']})"
            )
        width = min(region.width or screen["width"], screen["width"] - region.x)
        height = min(region.height or screen["height"], screen["height"] - region.y)
        self.width, self.height = width, height
        return {
            "left": screen["left"] + region.x,
            "top": screen["top"] + region.y,
            "width": width,
            "height": height,
        }
