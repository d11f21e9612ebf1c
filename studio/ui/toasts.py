"""Unobtrusive notifications: small cards stacked in the window's bottom-right corner, some
with one action button ("Unlock…") that does what the toast suggests."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEasingCurve, QPropertyAnimation, QRect, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui import theme
from studio.ui.user_text import PlainLabel

KINDS = {
    "info": (theme.ACCENT_2, "●"),
    "gift": (theme.ACCENT, "♥"),
    "success": (theme.SUCCESS, "✓"),
    "warning": (theme.WARNING, "!"),
    "error": (theme.DANGER, "✕"),
}
MAX_VISIBLE = 4
MARGIN = 16
WIDTH = 320
ACTION_MS = 12_000  # a toast that offers an action stays long enough to use it

Action = tuple[str, Callable[[], object]]  # button text, what it does


class Toast(QFrame):
    expired = Signal()

    def __init__(
        self,
        parent: QWidget,
        title: str,
        text: str,
        kind: str,
        ms: int,
        group: str,
        action: Action | None = None,
    ) -> None:
        super().__init__(parent)
        colour, glyph = KINDS.get(kind, KINDS["info"])
        self.setObjectName("toast")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(
            f"QFrame#toast {{ background: {theme.SURFACE_HIGH}; border: 1px solid {theme.BORDER};"
            f" border-left: 4px solid {colour}; border-radius: 10px; }}"
        )
        self.setFixedWidth(WIDTH)
        self.group = group
        icon = QLabel(glyph)
        icon.setStyleSheet(f"color: {colour}; font-size: 16px; font-weight: 800;")
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.heading = PlainLabel(title)  # toasts name other people: always plain text
        self.heading.setStyleSheet("font-weight: 700;")
        self.heading.setWordWrap(True)
        self.body = PlainLabel(text)
        self.body.setWordWrap(True)
        self.body.setProperty("dim", True)
        self.body.setVisible(bool(text))
        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addWidget(self.heading)
        texts.addWidget(self.body)
        self.action: QPushButton | None = None
        if action is not None:
            label, run = action
            self.action = QPushButton(label)
            self.action.setProperty("role", "primary")
            self.action.clicked.connect(run)
            self.action.clicked.connect(self._fade_out)  # done: it need not wait to fade
            texts.addWidget(self.action, 0, Qt.AlignmentFlag.AlignLeft)
            ms = max(ms, ACTION_MS)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 10, 12, 10)
        row.addWidget(icon)
        row.addLayout(texts, 1)
        self.title, self.text = title, text
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(ms)
        self._timer.timeout.connect(self._fade_out)
        self._timer.start()

    def replace(self, title: str, text: str) -> None:
        """Show newer news in this toast instead of stacking another one."""
        self.title, self.text = title, text
        self.heading.setText(title)
        self.body.setText(text)
        self.body.setVisible(bool(text))
        self._timer.start()

    @property
    def fading(self) -> bool:
        return not self._timer.isActive()

    def _fade_out(self) -> None:
        self._timer.stop()
        if self.action is not None:
            self.action.setEnabled(False)  # once is enough
        # The opacity effect renders the toast off-screen, so it only exists while fading.
        opacity = QGraphicsOpacityEffect(self)
        self.setGraphicsEffect(opacity)
        fade = QPropertyAnimation(opacity, b"opacity", self)
        fade.setDuration(400)
        fade.setEasingCurve(QEasingCurve.Type.InQuad)
        fade.setStartValue(1.0)
        fade.setEndValue(0.0)
        fade.finished.connect(self.expired)
        fade.start()


class ToastHost(QWidget):
    """Owns the toasts of one window; lay them out whenever the window or the stack changes."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._window = window
        self._toasts: list[Toast] = []
        self.hide()

    def show_toast(
        self,
        title: str,
        text: str = "",
        kind: str = "info",
        ms: int = 4500,
        group: str = "",
        action: Action | None = None,
    ) -> Toast:
        """Show a toast; one of the same ``group`` still on screen is updated instead.
        ``action`` adds a button that runs it (and then lets the toast go)."""
        if group:
            for existing in self._toasts:
                if existing.group == group and not existing.fading:
                    existing.replace(title, text)
                    self.relayout()
                    return existing
        toast = Toast(self._window, title, text, kind, ms, group, action)
        toast.expired.connect(lambda: self._expire(toast))
        self._toasts.append(toast)
        for old in self._toasts[:-MAX_VISIBLE]:
            self._expire(old)
        toast.show()
        toast.raise_()
        self.relayout()
        return toast

    @property
    def messages(self) -> list[str]:
        return [f"{t.title} {t.text}".strip() for t in self._toasts]

    def relayout(self) -> None:
        """Stack the toasts in the bottom-right corner of the area they float over."""
        area = self._area()
        bottom = area.bottom() - MARGIN
        for toast in reversed(self._toasts):
            toast.adjustSize()
            bottom -= toast.height()
            toast.move(area.right() - WIDTH - MARGIN, bottom)
            bottom -= 8

    def _area(self) -> QRect:
        central = getattr(self._window, "centralWidget", None)
        widget = central() if callable(central) else None
        if isinstance(widget, QWidget):
            return widget.geometry()
        return self._window.rect()

    def _expire(self, toast: Toast) -> None:
        if toast in self._toasts:
            self._toasts.remove(toast)
            toast.deleteLater()
            self.relayout()
