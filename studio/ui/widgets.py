"""Small reusable widgets: cards, section labels, avatars, the PK score bar, a countdown, lists
that say what they are waiting for, labels that shorten long names with "…"."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QRectF, QSize, Qt, QVariantAnimation
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.ui import theme
from studio.ui.user_text import PlainLabel, plain_tip


def clock_text(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))  # 0.2 s left still shows 0:01
    return f"{whole // 60}:{whole % 60:02d}"


def section(text: str) -> QLabel:
    label = PlainLabel(text.upper())
    label.setObjectName("section")
    return label


def role_button(text: str, role: str) -> QPushButton:
    """A push button styled by the theme's ``role`` (primary, danger, ...)."""
    button = QPushButton(text)
    button.setProperty("role", role)
    return button


def dim(text: str = "") -> QLabel:
    """A secondary line, in plain text (it often carries names and titles)."""
    label = PlainLabel(text)
    label.setProperty("dim", True)
    label.setWordWrap(True)
    return label


def vertical_scroll(page: QWidget) -> QScrollArea:
    """``page`` in a scroll area that fits it to the width: never a sideways scroll (cards
    wrap their rows and elide their lists instead)."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(page)
    return scroll


class PlaceholderList(QListWidget):
    """A list that says, in dim text, what would be in it while it is empty ("No orders yet")."""

    def __init__(self, placeholder: str) -> None:
        super().__init__()
        self.placeholder = placeholder
        self.setTextElideMode(Qt.TextElideMode.ElideRight)  # long lines end in "…", no sideways
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # scrolling

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.viewport().update()

    @property
    def placeholder_shown(self) -> bool:
        return self.count() == 0 and bool(self.placeholder)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.placeholder_shown:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(theme.TEXT_DIM))
            box = self.viewport().rect().adjusted(12, 8, -12, -8)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(box, int(flags), self.placeholder)


class ElidedLabel(QLabel):
    """One line of plain text that ends in "…" when it does not fit; the whole text is then
    its tooltip. It may be squeezed narrower than its text (a long name never widens a panel).
    ``text()`` is the whole text; ``shown()`` what is on screen."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._whole = ""
        self.setText(text)

    def setText(self, text: str) -> None:
        self._whole = text
        self._fit()

    def text(self) -> str:
        return self._whole

    def shown(self) -> str:
        return super().text()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._whole) + 2, hint.height())

    def minimumSizeHint(self) -> QSize:
        height = super().minimumSizeHint().height()
        return QSize(self.fontMetrics().horizontalAdvance("Mm…"), height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        room = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._whole, Qt.TextElideMode.ElideRight, room)
        super().setText(shown)
        self.setToolTip(plain_tip(self._whole) if shown != self._whole else "")


class SpinBox(QSpinBox):
    """The theme's spin box. Style-sheet padding does not reach a spin box's edit field, so its
    text is indented here, as far as a line edit's."""

    def __init__(self, low: int = 0, high: int = 99, value: int = 0, suffix: str = "") -> None:
        super().__init__()
        self.lineEdit().setTextMargins(theme.FIELD_PADDING, 0, 0, 0)
        self.setRange(low, high)
        self.setValue(value)
        self.setSuffix(suffix)


class CountSpin(SpinBox):
    """A spin box for a count of something, its unit singular or plural to match ("1 coin")."""

    def __init__(self, low: int, high: int, value: int, singular: str, plural: str = "") -> None:
        super().__init__(low, high)
        self.units = (f" {singular}", f" {plural or singular + 's'}")
        self.setRange(low, high)
        self.valueChanged.connect(self._match_unit)
        self.setValue(value)
        self._match_unit(value)

    def _match_unit(self, value: int) -> None:
        self.setSuffix(self.units[0] if value == 1 else self.units[1])


class Card(QFrame):
    """A rounded, slightly raised box with a vertical layout."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 12, 14, 12)
        self.body.setSpacing(8)


class Avatar(QWidget):
    """A coloured circle with initials (colour derived from the name, stable across runs)."""

    PALETTE = ("#ff3d7f", "#7c5cff", "#3da5ff", "#2fd38a", "#ffb02e", "#ff6b3d", "#c94dff")

    def __init__(self, name: str = "", size: int = 36) -> None:
        super().__init__()
        self._size = size
        self.name = name
        self.setFixedSize(size, size)

    def set_name(self, name: str) -> None:
        self.name = name
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(self._size, self._size)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        paint_avatar(painter, QRectF(self.rect()), self.name)


def paint_avatar(painter: QPainter, box: QRectF, name: str) -> None:
    """A circle in the name's colour (stable across runs) with its initials."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(Avatar.PALETTE[sum(map(ord, name)) % len(Avatar.PALETTE)]))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(box)
    initials = "".join(part[:1] for part in name.split()[:2]).upper() or "?"
    font = QFont(painter.font())
    font.setPixelSize(max(6, int(box.height() * 0.4)))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, initials)
    painter.restore()


class ScoreBar(QWidget):
    """Two colours meeting where the scores split; the meeting point glides to new scores."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(34)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.mine = 0
        self.theirs = 0
        self.target = 0.5
        self._shown = 0.5
        self._animation = QVariantAnimation(self)
        self._animation.setDuration(450)
        self._animation.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._animation.valueChanged.connect(self._step)

    def sizeHint(self) -> QSize:
        return QSize(320, 34)

    def set_scores(self, mine: int, theirs: int) -> None:
        self.mine, self.theirs = mine, theirs
        total = mine + theirs
        share = 0.5 if total == 0 else mine / total
        self.target = share
        self._animation.stop()
        self._animation.setStartValue(self._shown)
        self._animation.setEndValue(share)
        self._animation.start()

    @property
    def displayed_share(self) -> float:
        """Where the bar's split is drawn right now (it glides towards ``target``)."""
        return self._shown

    def _step(self, value: object) -> None:
        self._shown = float(value)  # type: ignore[arg-type]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bar = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        radius = bar.height() / 2
        split = bar.left() + bar.width() * min(0.97, max(0.03, self._shown))
        painter.setPen(Qt.PenStyle.NoPen)
        right = QLinearGradient(split, 0, bar.right(), 0)
        right.setColorAt(0, QColor(theme.OPPONENT))
        right.setColorAt(1, QColor("#2463d9"))
        painter.setBrush(right)
        painter.drawRoundedRect(bar, radius, radius)
        left = QLinearGradient(bar.left(), 0, split, 0)
        left.setColorAt(0, QColor("#d92a66"))
        left.setColorAt(1, QColor(theme.ACCENT))
        painter.setBrush(left)
        painter.save()
        painter.setClipRect(QRectF(bar.left(), bar.top(), split - bar.left(), bar.height()))
        painter.drawRoundedRect(bar, radius, radius)
        painter.restore()
        painter.setBrush(QColor("white"))
        painter.drawRoundedRect(QRectF(split - 2, bar.top() - 1, 4, bar.height() + 2), 2, 2)
        font = QFont(self.font())
        font.setPixelSize(14)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        inner = bar.adjusted(14, 0, -14, 0)
        flags = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(inner, flags | Qt.AlignmentFlag.AlignLeft, f"{self.mine:,}")
        painter.drawText(inner, flags | Qt.AlignmentFlag.AlignRight, f"{self.theirs:,}")
