"""Editing the current scene's layers on the preview: click to select, drag to move, handles to
resize, snapping to the canvas's edges and centre, arrow keys to nudge (Shift: further).

:class:`LayerOverlay` lies over the preview (a transparent child that follows its size) and
draws the selected layer's outline and handles over the program frames. It edits through
:class:`EditableLayers` (the scenes editor), whose canvas coordinates the geometry in
:mod:`studio.ui.layer_geometry` works in. A locked layer can be selected, never moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QWidget

from studio.ui import theme
from studio.ui.layer_geometry import HANDLES, Box, Guide, Handle, dragged, handle_point, hit, nudged

HANDLE_PX: Final = 5.0  # half a handle square, in screen pixels
SNAP_PX: Final = 8.0  # how close (screen pixels) an edge comes before it snaps
ARROWS: Final = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
RESIZE_CURSORS: Final = (  # by a handle's direction from the box's centre, in 45° steps
    Qt.CursorShape.SizeHorCursor,  # → (and ←)
    Qt.CursorShape.SizeFDiagCursor,  # ↘
    Qt.CursorShape.SizeVerCursor,  # ↓
    Qt.CursorShape.SizeBDiagCursor,  # ↙
)


def cursor_for(handle: Handle, rotation: float) -> Qt.CursorShape:
    """The cursor over ``handle`` of a box turned by ``rotation``: it points the way the
    handle pulls."""
    if handle is Handle.MOVE:
        return Qt.CursorShape.SizeAllCursor
    return RESIZE_CURSORS[round(handle.direction(rotation) / 45.0) % 4]


@dataclass(frozen=True)
class LayerBox:
    """A visible layer of the current scene as the overlay sees it."""

    key: str
    box: Box
    locked: bool


class EditableLayers(Protocol):
    """What the overlay edits: the current scene's visible layers on a canvas."""

    @property
    def canvas(self) -> tuple[int, int]: ...

    @property
    def selected(self) -> str | None: ...

    def boxes(self) -> list[LayerBox]:
        """The visible layers, bottom first (the last one is drawn on top)."""
        ...

    def select(self, key: str | None) -> None: ...

    def place(self, key: str, box: Box) -> None:
        """Put layer ``key`` at ``box`` (canvas pixels)."""
        ...


@dataclass
class _Grab:
    key: str
    handle: Handle
    start: Box
    at: QPointF  # where the press was, in canvas pixels


class LayerOverlay(QWidget):
    """The layer editor over ``preview`` (see the module's docstring)."""

    def __init__(self, preview: QWidget, layers: EditableLayers) -> None:
        super().__init__(preview)
        self.preview = preview
        self.layers = layers
        self.setObjectName("layer-overlay")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMouseTracking(True)  # the cursor says what a press would grab
        self.guides: tuple[Guide, ...] = ()
        self._grab: _Grab | None = None
        self.setGeometry(preview.rect())
        preview.installEventFilter(self)
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.preview and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.preview.rect())
        return False

    def refresh(self) -> None:
        """The scene changed (layers, selection, canvas): draw it anew."""
        self.update()

    # ---- canvas ↔ screen --------------------------------------------------------------
    def canvas_rect(self) -> QRectF:
        """Where the canvas is drawn: as large as fits, centred (as the preview draws it)."""
        width, height = self.layers.canvas
        scale = min(self.width() / width, self.height() / height)
        w, h = width * scale, height * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _scale(self) -> float:
        return self.canvas_rect().width() / self.layers.canvas[0]

    def to_canvas(self, point: QPointF) -> QPointF:
        area = self.canvas_rect()
        scale = self._scale()
        return QPointF((point.x() - area.left()) / scale, (point.y() - area.top()) / scale)

    def to_screen(self, box: Box) -> QRectF:
        """``box`` (canvas pixels, unturned) where it shows on the overlay."""
        area = self.canvas_rect()
        scale = self._scale()
        return QRectF(
            area.left() + box.x * scale, area.top() + box.y * scale, box.w * scale, box.h * scale
        )

    def point_to_screen(self, x: float, y: float) -> QPointF:
        """A canvas point where it shows on the overlay."""
        area = self.canvas_rect()
        scale = self._scale()
        return QPointF(area.left() + x * scale, area.top() + y * scale)

    # ---- mouse ------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        at = self.to_canvas(event.position())
        grabbed = self._what_is_under(at)
        self.layers.select(grabbed[0].key if grabbed else None)
        if grabbed is not None and not grabbed[0].locked:
            layer, handle = grabbed
            self._grab = _Grab(layer.key, handle, layer.box, at)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        at = self.to_canvas(event.position())
        grab = self._grab
        if grab is None:
            under = self._what_is_under(at)
            movable = under is not None and not under[0].locked
            shape = cursor_for(under[1], under[0].box.rotation) if under and movable else None
            self.setCursor(shape or Qt.CursorShape.ArrowCursor)
            return
        free = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        drag = dragged(
            grab.start,
            grab.handle,
            at.x() - grab.at.x(),
            at.y() - grab.at.y(),
            self.layers.canvas,
            reach=SNAP_PX / self._scale(),
            keep_aspect=not free,
        )
        self.guides = drag.guides
        self.layers.place(grab.key, drag.box)
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._grab = None
        self.guides = ()
        self.update()

    def _what_is_under(self, at: QPointF) -> tuple[LayerBox, Handle] | None:
        """The selected layer's handle under ``at``, else the topmost layer there."""
        boxes = self.layers.boxes()
        reach = HANDLE_PX / self._scale()
        selected = next((b for b in boxes if b.key == self.layers.selected), None)
        if selected is not None:
            handle = hit(selected.box, at.x(), at.y(), reach)
            if handle is not None:
                return selected, handle
        for layer in reversed(boxes):
            if layer.box.contains(at.x(), at.y()):
                return layer, Handle.MOVE
        return None

    # ---- keys -------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = ARROWS.get(Qt.Key(event.key()))
        layer = self._selected()
        if step is None or layer is None:
            super().keyPressEvent(event)
            return
        if not layer.locked:
            big = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.layers.place(layer.key, nudged(layer.box, *step, big=big))
            self.update()
        event.accept()

    def _selected(self) -> LayerBox | None:
        return next((b for b in self.layers.boxes() if b.key == self.layers.selected), None)

    # ---- painting ---------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        layer = self._selected()
        if layer is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._draw_guides(painter)
        colour = QColor(theme.TEXT_DIM if layer.locked else theme.ACCENT_2)
        pen = QPen(colour, 2)
        if layer.locked:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolygon(QPolygonF([self.point_to_screen(*c) for c in layer.box.corners()]))
        if layer.locked:
            label = self.to_screen(layer.box.bounds()).adjusted(6, 4, -6, -4)
            painter.drawText(label, Qt.AlignmentFlag.AlignLeft, "Locked")
            return
        painter.setBrush(QColor("white"))
        painter.setPen(QPen(colour, 1.5))
        for handle in HANDLES:
            centre = self.point_to_screen(*handle_point(layer.box, handle))
            painter.drawRect(
                QRectF(centre.x() - HANDLE_PX, centre.y() - HANDLE_PX, 2 * HANDLE_PX, 2 * HANDLE_PX)
            )

    def _draw_guides(self, painter: QPainter) -> None:
        area = self.canvas_rect()
        painter.setPen(QPen(QColor(theme.ACCENT), 1, Qt.PenStyle.DashLine))
        for guide in self.guides:
            if guide.axis == "x":
                x = self.point_to_screen(guide.at, 0).x()
                painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
            else:
                y = self.point_to_screen(0, guide.at).y()
                painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
