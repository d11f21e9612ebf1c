"""The live preview: the newest processed frame, letterboxed, with an optional before/after split.

:class:`PreviewFeed` owns the frame flow (source → effect chain on a worker thread) and an
asyncio task that takes each new frame and hands it to :class:`PreviewView`; the UI thread only
wraps the frame in a QImage and paints it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.core.effects_chain import EffectsChain
from studio.core.frames import FrameFlow
from studio.core.source_switch import SwitchableSource, describe, open_source
from studio.core.tasks import cancel_and_wait
from studio.ui import theme


def to_qimage(image: np.ndarray) -> QImage:
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
        self._after: np.ndarray | None = None
        self._before: np.ndarray | None = None

    def show_frame(
        self, after: np.ndarray, before: np.ndarray | None = None, ready_at: float | None = None
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

    def target_size(self, image: np.ndarray) -> tuple[int, int]:
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
    after: np.ndarray, before: np.ndarray | None, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Both frames at the view's size, as BGRA (what Qt paints fastest)."""

    def fit(image: np.ndarray) -> np.ndarray:
        if (image.shape[1], image.shape[0]) != size:
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)

    return fit(after), fit(before) if before is not None else None


class PreviewFeed(QObject):
    """Source → effects on the frame worker → the view; the source can be swapped live."""

    source_changed = Signal(str)  # the new spec
    source_failed = Signal(str)  # a message for a person

    def __init__(self, view: PreviewView, chain: EffectsChain) -> None:
        super().__init__()
        self.view = view
        self.chain = chain
        self.flow: FrameFlow | None = None
        self._switch: SwitchableSource | None = None
        self._pump: asyncio.Task[None] | None = None
        self._io = ThreadPoolExecutor(1, thread_name_prefix="source-io")  # opening, closing
        self._scaler = ThreadPoolExecutor(1, thread_name_prefix="preview-scale")

    @property
    def spec(self) -> str:
        return self._switch.spec if self._switch is not None else ""

    async def use(self, spec: str) -> None:
        """Show ``spec`` (opened off the UI thread); on failure the current source stays."""
        self.view.status_text = f"Opening {describe(spec)}…"
        self.view.update()
        loop = asyncio.get_running_loop()
        try:
            source = await loop.run_in_executor(self._io, open_source, spec)
        except (OSError, ValueError) as exc:
            self.source_failed.emit(f"Could not open {describe(spec)}: {exc}")
            return
        if self._switch is None:
            self._switch = SwitchableSource(source, spec)
            self.flow = FrameFlow(self._switch, self.chain)
            self.flow.start()
            self._pump = asyncio.ensure_future(self._show_frames(self.flow))
        else:
            self._switch.switch(source, spec)
        self.source_changed.emit(spec)

    async def stop(self) -> None:
        pump, self._pump = self._pump, None
        if pump is not None:
            await cancel_and_wait(pump)
        if self.flow is not None:
            await asyncio.get_running_loop().run_in_executor(self._io, self.flow.stop)
            self.flow = None
            self._switch = None
        self._io.shutdown(wait=False)
        self._scaler.shutdown(wait=False)

    async def _show_frames(self, flow: FrameFlow) -> None:
        """Scale each new frame to the view off the UI thread, then hand it over to paint."""
        loop = asyncio.get_running_loop()
        seq = 0
        with contextlib.suppress(EOFError):
            while True:
                frame = await flow.next(seq)
                seq = frame.seq
                pair = self.chain.last_pair
                before = pair[0] if pair is not None and self.view.compare else None
                size = self.view.target_size(frame.image)
                after, before = await loop.run_in_executor(
                    self._scaler, _scale_pair, frame.image, before, size
                )
                self.view.show_frame(after, before, frame.processed_at)
