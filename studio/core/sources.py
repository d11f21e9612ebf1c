"""Video sources: the sample clip (works without a camera), a camera and a video file.

A source's ``read()`` blocks until its next frame is due and returns it as BGR uint8; it is
called from the frame flow's worker thread, never from the event loop. Live sources never
hand out stale frames: a reader that falls behind skips to the frame that is due now.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np
from numpy.typing import NDArray

from studio.core.marker import draw_marker

Image = NDArray[np.uint8]


@dataclass(frozen=True)
class SourceFrame:
    image: Image
    index: int
    captured_at: float  # time.monotonic() when the frame was taken


class VideoSource(Protocol):
    width: int
    height: int
    fps: float

    def read(self) -> SourceFrame | None:
        """The next frame (blocking), or None once the source has ended or was closed."""

    def close(self) -> None: ...


@runtime_checkable
class Resumable(Protocol):
    """A source that can be told its reader paused (a scene off air) and reads on now."""

    def continue_after_pause(self) -> None:
        """Go on from the frame after the last one read: a clocked source would otherwise
        skip the frames of the pause, and a file would decode its way through all of them."""


def continue_after_pause(source: VideoSource) -> None:
    """Tell ``source`` its reader paused, if it cares (call on the reading thread)."""
    if isinstance(source, Resumable):
        source.continue_after_pause()


class _Clock:
    """Paces a synthetic or file source at ``fps`` against the monotonic clock."""

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self.start = time.monotonic()
        self.next_index = 0
        self.closed = threading.Event()

    def wait_next(self) -> int | None:
        due = self.start + self.next_index / self.fps
        if self.closed.wait(max(0.0, due - time.monotonic())):
            return None
        now_index = int((time.monotonic() - self.start) * self.fps)
        index = max(self.next_index, now_index)  # skip frames we are too late for
        self.next_index = index + 1
        return index

    def continue_after_pause(self) -> None:
        self.start = time.monotonic() - self.next_index / self.fps


class SampleSource:
    """A looping clip of a real face moving (``filters.synthetic.SyntheticFaceClip``).

    With ``marker=True`` every frame carries ``marker_base`` + its index (see
    :mod:`studio.core.marker`), so a receiver can tell which frame of which source it got and
    how long it took.
    """

    def __init__(
        self,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        marker: bool = False,
        marker_base: int = 0,
    ) -> None:
        from filters.synthetic import SyntheticFaceClip

        self.width, self.height, self.fps = width, height, fps
        self.marker = marker
        self.marker_base = marker_base
        self._clip = SyntheticFaceClip(width, height, fps=fps)
        self._clock = _Clock(fps)
        self.captured: dict[int, float] = {}  # marker value -> capture time, when marked

    def read(self) -> SourceFrame | None:
        index = self._clock.wait_next()
        if index is None:
            return None
        image = self._clip.frame(index)
        captured_at = time.monotonic()
        if self.marker:
            value = self.marker_base + index
            draw_marker(image, value)
            self.captured[value % 65536] = captured_at
            self.captured.pop((value - 1024) % 65536, None)
        return SourceFrame(image, index, captured_at)

    def continue_after_pause(self) -> None:
        self._clock.continue_after_pause()

    def close(self) -> None:
        self._clock.closed.set()


class CameraSource:
    """A local camera through OpenCV (device index or path, e.g. ``0`` or ``/dev/video0``).

    While nobody reads, the driver fills its queued buffers with the frames taken just after
    reading stopped and keeps them; after a pause those would be read first, pictures from
    when the scene went off air stamped as new. So the first read after a pause drops as
    many frames as the driver buffers (``grab()``, not decoded) and returns one taken since.
    """

    def __init__(
        self, device: int | str = 0, width: int = 1280, height: int = 720, fps: float = 30.0
    ) -> None:
        self._capture = cv2.VideoCapture(device)
        if not self._capture.isOpened():
            raise OSError(f"cannot open camera {device!r}")
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._capture.set(cv2.CAP_PROP_FPS, fps)
        self._capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # newest frame, not a backlog
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS)) or fps
        self._buffers = max(1, int(self._capture.get(cv2.CAP_PROP_BUFFERSIZE)))
        self._stale = 0  # frames still to drop, buffered during a pause
        self._index = 0
        self._lock = threading.Lock()

    def read(self) -> SourceFrame | None:
        with self._lock:
            if not self._capture.isOpened():
                return None
            for _ in range(self._stale):
                self._capture.grab()
            self._stale = 0
            ok, image = self._capture.read()
        if not ok:
            return None
        self._index += 1
        return SourceFrame(np.asarray(image, np.uint8), self._index - 1, time.monotonic())

    def continue_after_pause(self) -> None:
        self._stale = self._buffers

    def close(self) -> None:
        with self._lock:
            self._capture.release()


class FileSource:
    """A video file played in real time, looping at its end."""

    def __init__(self, path: str | Path, loop: bool = True) -> None:
        self._capture = cv2.VideoCapture(str(path))
        if not self._capture.isOpened():
            raise OSError(f"cannot open video file {path}")
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS)) or 30.0
        self.loop = loop
        self._clock = _Clock(self.fps)
        self._position = 0  # index of the next frame the decoder returns
        self._lock = threading.Lock()  # close() waits for a read: OpenCV aborts otherwise

    def read(self) -> SourceFrame | None:
        index = self._clock.wait_next()
        if index is None:
            return None
        with self._lock:
            if not self._capture.isOpened():
                return None
            return self._decode_until(index)

    def _decode_until(self, index: int) -> SourceFrame | None:
        image = None
        while self._position <= index:
            ok, image = self._capture.read()
            if not ok:
                if not self.loop or self._position == 0:
                    return None
                self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                self._position = 0
                index = 0
                self._clock.start = time.monotonic()
                self._clock.next_index = 1
                continue
            self._position += 1
        if image is None:
            return None
        return SourceFrame(np.asarray(image, np.uint8), index, time.monotonic())

    def continue_after_pause(self) -> None:
        self._clock.continue_after_pause()

    def close(self) -> None:
        self._clock.closed.set()
        with self._lock:
            self._capture.release()
