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

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.core.effects_chain import EffectsChain
from studio.core.frames import FrameFlow
from studio.core.source_switch import SwitchableSource, describe, open_source
from studio.ui import theme


def to_qimage(image: np.ndarray) -> QImage:
    """A QImage over a BGR uint8 array (no copy: keep ``image`` alive while it is used)."""
    height, width = image.shape[:2]
    return QImage(image.data, width, height, image.strides[0], QImage.Format.Format_BGR888)


class PreviewView(QWidget):
    """Paints frames; remembers when each was shown so tests can measure the frame rate."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.compare = False
        self.status_text = "Starting the source…"
        self.shown_at: deque[float] = deque(maxlen=1000)
        self._after: np.ndarray | None = None
        self._before: np.ndarray | None = None

    @property
    def frames_shown(self) -> int:
        return len(self.shown_at)

    @property
    def has_frame(self) -> bool:
        return self._after is not None

    def show_frame(self, after: np.ndarray, before: np.ndarray | None = None) -> None:
        self._after, self._before = after, before
        self.shown_at.append(time.monotonic())
        self.update()

    def set_compare(self, on: bool) -> None:
        self.compare = on
        self.update()

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
        painter.drawImage(target, to_qimage(after))
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
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        if self.flow is not None:
            await asyncio.get_running_loop().run_in_executor(self._io, self.flow.stop)
            self.flow = None
            self._switch = None
        self._io.shutdown(wait=False)

    async def _show_frames(self, flow: FrameFlow) -> None:
        seq = 0
        with contextlib.suppress(EOFError):
            while True:
                frame = await flow.next(seq)
                seq = frame.seq
                pair = self.chain.last_pair
                before = pair[0] if pair is not None and self.view.compare else None
                self.view.show_frame(frame.image, before)
