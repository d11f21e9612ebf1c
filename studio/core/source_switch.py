"""One video source whose underlying device can be swapped while frames flow.

The frame flow (and a running publisher) keep reading the same :class:`SwitchableSource`; the
studio swaps the camera, file or sample clip behind it. When the current source ends or fails,
``read`` waits for the next one instead of ending the flow, so going live survives a camera
being unplugged. Source specs are plain strings the settings file can keep:
``sample``, ``camera:<index or path>``, ``file:<path>``.
"""

from __future__ import annotations

import glob
import threading
from pathlib import Path

from studio.core.sources import (
    CameraSource,
    FileSource,
    SampleSource,
    SourceFrame,
    VideoSource,
    continue_after_pause,
)

SAMPLE = "sample"


def open_source(spec: str) -> VideoSource:
    """A new source for ``spec`` (may block: opening a camera takes a moment); OSError if not."""
    kind, _, arg = spec.partition(":")
    if kind == SAMPLE:
        return SampleSource()
    if kind == "camera":
        return CameraSource(int(arg) if arg.isdigit() else arg)
    if kind == "file":
        if not Path(arg).is_file():
            raise OSError(f"no such video file: {arg}")
        return FileSource(arg)
    raise OSError(f"unknown source {spec!r}")


def describe(spec: str) -> str:
    kind, _, arg = spec.partition(":")
    if kind == "camera":
        return f"Camera {arg}"
    if kind == "file":
        return Path(arg).name
    return "Sample clip"


def cameras() -> list[str]:
    """Camera specs for the video devices this machine has (Linux: /dev/video*)."""
    devices = sorted(glob.glob("/dev/video[0-9]*"), key=lambda d: int(d[len("/dev/video") :]))
    return [f"camera:{d[len('/dev/video') :]}" for d in devices]


class SwitchableSource:
    def __init__(self, first: VideoSource, spec: str) -> None:
        self._current = first
        self.spec = spec
        self.width, self.height, self.fps = first.width, first.height, first.fps
        self.ended_spec = ""  # a source that ended by itself, for the UI to report
        self._changed = threading.Condition()
        self._closed = False

    def switch(self, source: VideoSource, spec: str) -> None:
        with self._changed:
            old, self._current, self.spec = self._current, source, spec
            self.width, self.height, self.fps = source.width, source.height, source.fps
            self.ended_spec = ""
            self._changed.notify_all()
        old.close()

    def read(self) -> SourceFrame | None:
        while True:
            with self._changed:
                if self._closed:
                    return None
                source = self._current
            frame = source.read()
            if frame is not None:
                return frame
            with self._changed:
                if self._current is source and not self._closed:
                    self.ended_spec = self.spec
                while self._current is source and not self._closed:
                    self._changed.wait()

    def continue_after_pause(self) -> None:
        continue_after_pause(self._current)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._current.close()
