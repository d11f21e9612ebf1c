"""Warning strips above the preview: the backend cannot be reached (with Retry), and this
computer cannot keep up with the broadcast (with one-click ways to lighten the load)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from studio.ui import theme


class WarningBanner(QFrame):
    """A hidden strip with a message and action buttons on the right (or, with ``stacked``,
    in a row under the message, for messages too long to share a row with their buttons)."""

    def __init__(self, *buttons: QPushButton, stacked: bool = False) -> None:
        super().__init__()
        self.setObjectName("banner")
        self.setStyleSheet(
            f"QFrame#banner {{ background: #3a2412; border-bottom: 1px solid {theme.WARNING}; }}"
            f" QLabel {{ color: {theme.WARNING}; font-weight: 600; }}"
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        row = QHBoxLayout()
        row.addWidget(QLabel("⚠"))
        row.addWidget(self.message, 1)
        actions = QHBoxLayout() if stacked else row
        for button in buttons:
            actions.addWidget(button)
        column = QVBoxLayout(self)
        column.setContentsMargins(14, 8, 10, 8)
        column.addLayout(row)
        if stacked:
            actions.addStretch(1)
            column.addLayout(actions)
        self.hide()


class ConnectionBanner(WarningBanner):
    retry = Signal()

    def __init__(self) -> None:
        button = QPushButton("Retry now")
        super().__init__(button)
        button.clicked.connect(self.retry)

    def show_down(self, detail: str) -> None:
        self.message.setText(f"{detail} Retrying automatically; the studio keeps working.")
        self.show()


class KeepUpBanner(WarningBanner):
    """Shown while live when frames are being dropped; each action hides it."""

    lower_quality = Signal()
    effects_off = Signal()
    MESSAGE = "Your computer can't keep up: lower the quality or turn off some effects."

    def __init__(self) -> None:
        self.lower_button = QPushButton("Lower quality")
        self.effects_button = QPushButton("Turn off effects")
        super().__init__(self.lower_button, self.effects_button, stacked=True)
        self.message.setText(self.MESSAGE)
        self.lower_button.clicked.connect(self.lower_quality)
        self.effects_button.clicked.connect(self.effects_off)

    def show_struggling(self, can_lower: bool, has_effects: bool) -> None:
        """Offer only the actions that would still lighten the load."""
        self.lower_button.setEnabled(can_lower)
        self.effects_button.setEnabled(has_effects)
        self.show()
