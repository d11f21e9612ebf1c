"""The camera after a pause (its scene off air): what comes next was taken after the resume,
never a frame the driver kept in its buffers while nobody read.

``cv2.VideoCapture`` is the edge here (no camera on the test machine): :class:`V4L2Device`
behaves as a V4L2 driver does, with a few queued buffers that fill while nobody reads and
then hold their frames (later ones are dropped) until they are read.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

import cv2
import numpy as np
import pytest

from studio.core.frames import FrameFlow
from studio.core.marker import draw_marker, read_marker
from studio.core.sources import CameraSource

FPS = 30.0
MIN_BUFFERS = 2  # like many drivers: asked for one buffer, it keeps two


class V4L2Device:
    """A camera taking a frame every 1/FPS s into its queued buffers; a frame carries its
    tick as a marker, and ``taken`` says when each tick was taken."""

    def __init__(self, device: int | str) -> None:
        self.buffers = 4  # OpenCV's default request
        self.started = time.monotonic()
        self.taken: dict[int, float] = {}
        self.grabs = 0  # frames dropped unread
        self._next_tick = 0
        self._queue: deque[int] = deque()
        self._open = True
        self._lock = threading.Lock()

    def isOpened(self) -> bool:
        return self._open

    def set(self, prop: int, value: float) -> bool:
        if prop == cv2.CAP_PROP_BUFFERSIZE:
            self.buffers = max(MIN_BUFFERS, int(value))
        return True

    def get(self, prop: int) -> float:
        return {
            cv2.CAP_PROP_FRAME_WIDTH: 160.0,
            cv2.CAP_PROP_FRAME_HEIGHT: 90.0,
            cv2.CAP_PROP_FPS: FPS,
            cv2.CAP_PROP_BUFFERSIZE: float(self.buffers),
        }.get(prop, 0.0)

    def grab(self) -> bool:
        self.grabs += 1
        return self._dequeue() is not None

    def read(self) -> tuple[bool, np.ndarray | None]:
        tick = self._dequeue()
        if tick is None:
            return False, None
        image = np.full((90, 160, 3), 128, np.uint8)
        draw_marker(image, tick)
        return True, image

    def release(self) -> None:
        self._open = False

    def _dequeue(self) -> int | None:
        """The oldest buffered frame, waiting for the next one to be taken when none is."""
        while self._open:
            with self._lock:
                self._take_frames_until(time.monotonic())
                if self._queue:
                    return self._queue.popleft()
                due = self.started + self._next_tick / FPS
            time.sleep(max(0.0, due - time.monotonic()))
        return None

    def _take_frames_until(self, now: float) -> None:
        while self.started + self._next_tick / FPS <= now:
            tick, self._next_tick = self._next_tick, self._next_tick + 1
            if len(self._queue) < self.buffers:  # a full queue drops what the sensor takes
                self._queue.append(tick)
                self.taken[tick] = self.started + tick / FPS


@pytest.fixture
def devices(monkeypatch: pytest.MonkeyPatch) -> list[V4L2Device]:
    opened: list[V4L2Device] = []

    def open_device(device: int | str) -> V4L2Device:
        opened.append(V4L2Device(device))
        return opened[-1]

    monkeypatch.setattr(cv2, "VideoCapture", open_device)
    return opened


async def test_after_a_pause_the_camera_hands_out_a_frame_taken_since_not_a_buffered_one(
    devices: list[V4L2Device],
) -> None:
    flow = FrameFlow(CameraSource(0))
    device = devices[0]
    flow.start()
    try:
        await flow.next(0)
        flow.pause()
        await asyncio.sleep(0.4)  # off air: the driver's buffers fill and keep their frames
        last = flow.latest()
        assert last is not None
        resumed = time.monotonic()
        flow.resume()
        after = await asyncio.wait_for(flow.next(last.seq), 5)
        tick = read_marker(after.image)
        assert tick is not None
        assert device.taken[tick] >= resumed
    finally:
        flow.stop()


def test_only_a_read_after_a_pause_drops_frames_and_as_many_as_the_driver_buffers(
    devices: list[V4L2Device],
) -> None:
    camera = CameraSource(0)
    device = devices[0]
    try:
        assert camera.read() is not None
        assert camera.read() is not None
        assert device.grabs == 0
        camera.continue_after_pause()
        assert camera.read() is not None
        assert device.grabs == MIN_BUFFERS  # the buffer count the driver granted, not asked
        assert camera.read() is not None
        assert device.grabs == MIN_BUFFERS
    finally:
        camera.close()
