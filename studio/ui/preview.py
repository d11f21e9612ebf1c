"""The live preview: the newest processed frame, letterboxed, with an optional before/after split.

:class:`PreviewFeed` watches the broadcast engine (``studio.core.broadcast``, which owns the
source and the frame flow) with an asyncio task that takes each new program frame and hands it
to :class:`PreviewView`; the UI thread only wraps the frame in a QImage and paints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.core.broadcast import Broadcast
from studio.core.frames import Program
from studio.core.source_switch import describe
from studio.core.sources import Image
from studio.core.tasks import cancel_and_wait
from studio.ui import theme


def to_qimage(image: Image) -> QImage:
    """A QImage over a BGR or BGRA uint8 array (no copy: keep ``image`` alive while used)."""
    height, width = image.shape[:2]
    bgra = image.ndim == 3 and image.shape[2] == 4
    kind = QImage.Format.Format_RGB32 if bgra else QImage.Format.Format_BGR888
    return QImage(image.data, width, height, image.strides[0], kind)


class PreviewView(QWidget):
    """Paints frames; remembers when each was shown so tests can measure the frame rate."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.compare = False
        self.status_text = "Starting the source…"
        self.frames_shown = 0
        self.shown_at: deque[float] = deque(maxlen=1000)
        self.latency: deque[float] = deque(maxlen=1000)  # frame ready → shown, seconds
        self._after: Image | None = None
        self._before: Image | None = None

    def show_frame(
        self, after: Image, before: Image | None = None, ready_at: float | None = None
    ) -> None:
        """Paint ``after`` (and ``before`` when comparing); ``ready_at`` is when it left the
        effect chain (``time.monotonic()``), to measure how long the UI took to show it."""
        self._after, self._before = after, before
        now = time.monotonic()
        self.frames_shown += 1
        self.shown_at.append(now)
        if ready_at is not None:
            self.latency.append(now - ready_at)
        self.update()

    def set_compare(self, on: bool) -> None:
        self.compare = on
        self.update()

    def target_size(self, image: Image) -> tuple[int, int]:
        """Device pixels that ``image`` covers when drawn as large as fits."""
        height, width = image.shape[:2]
        ratio = self.devicePixelRatioF()
        scale = min(self.width() * ratio / width, self.height() * ratio / height)
        return max(2, int(width * scale)), max(2, int(height * scale))

    def image_rect(self) -> QRectF:
        """Where the frame is drawn: as large as fits, centred, keeping its aspect ratio."""
        if self._after is None:
            return QRectF(self.rect())
        height, width = self._after.shape[:2]
        scale = min(self.width() / width, self.height() / height)
        w, h = width * scale, height * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#07080b"))
        after = self._after
        if after is None:
            painter.setPen(QColor(theme.TEXT_DIM))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.status_text)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = self.image_rect()
        image = to_qimage(after)
        ratio = self.devicePixelRatioF()
        if abs(after.shape[1] - target.width() * ratio) < 2:
            image.setDevicePixelRatio(ratio)  # pre-scaled to fit: drawing is a plain copy
            painter.drawImage(QPointF(round(target.left()), round(target.top())), image)
        else:  # the view was resized since the frame was scaled
            painter.drawImage(target, image)
        before = self._before
        if self.compare and before is not None and before.shape == after.shape:
            half = QRectF(target.left(), target.top(), target.width() / 2, target.height())
            source = QRectF(0, 0, before.shape[1] / 2, before.shape[0])
            painter.drawImage(half, to_qimage(before), source)
            painter.setPen(QPen(QColor("white"), 2))
            painter.drawLine(half.topRight(), half.bottomRight())
            self._chip(painter, target.left() + 12, target.top() + 12, "BEFORE")
            self._chip(painter, target.right() - 80, target.top() + 12, "AFTER")

    @staticmethod
    def _chip(painter: QPainter, x: float, y: float, text: str) -> None:
        font = QFont(painter.font())
        font.setPixelSize(11)
        font.setBold(True)
        painter.setFont(font)
        box = QRectF(x, y, 68, 22)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 11, 11)
        painter.setPen(QColor("white"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _scale_pair(
    after: Image, before: Image | None, size: tuple[int, int]
) -> tuple[Image, Image | None]:
    """Both frames at the view's size, as BGRA (what Qt paints fastest)."""

    def fit(image: Image) -> Image:
        if (image.shape[1], image.shape[0]) != size:
            image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2BGRA), np.uint8)

    return fit(after), fit(before) if before is not None else None


class PreviewFeed:
    """Shows the broadcast's program frames in the view: each new frame is scaled to the view
    off the UI thread, then handed over to paint. It only watches the broadcast."""

    def __init__(self, view: PreviewView, broadcast: Broadcast) -> None:
        self.view = view
        self.broadcast = broadcast
        self._pump: asyncio.Task[None] | None = None
        self._scaler = ThreadPoolExecutor(1, thread_name_prefix="preview-scale")
        self._unsubscribe = broadcast.source_changed.add(self._source_changed)

    def opening(self, spec: str) -> None:
        """Say in the view what is being opened (until its first frame shows)."""
        self.view.status_text = f"Opening {describe(spec)}…"
        self.view.update()

    async def stop(self) -> None:
        self._unsubscribe()
        pump, self._pump = self._pump, None
        if pump is not None:
            await cancel_and_wait(pump)
        self._scaler.shutdown(wait=False)

    def _source_changed(self, _spec: str) -> None:
        flow = self.broadcast.program
        if self._pump is None and flow is not None:
            self._pump = asyncio.ensure_future(self._show_frames(flow))

    async def _show_frames(self, flow: Program) -> None:
        loop = asyncio.get_running_loop()
        seq = 0
        with contextlib.suppress(EOFError):
            while True:
                frame = await flow.next(seq)
                seq = frame.seq
                pair = self.broadcast.chain.last_pair
                before = pair[0] if pair is not None and self.view.compare else None
                size = self.view.target_size(frame.image)
                after, before = await loop.run_in_executor(
                    self._scaler, _scale_pair, frame.image, before, size
                )
                self.view.show_frame(after, before, frame.processed_at)
