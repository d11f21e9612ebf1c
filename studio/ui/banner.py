"""The strip above the preview that says the backend cannot be reached, with Retry."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from studio.ui import theme


class ConnectionBanner(QFrame):
    retry = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("banner")
        self.setStyleSheet(
            f"QFrame#banner {{ background: #3a2412; border-bottom: 1px solid {theme.WARNING}; }}"
            f" QLabel {{ color: {theme.WARNING}; font-weight: 600; }}"
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        button = QPushButton("Retry now")
        button.clicked.connect(self.retry)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 8, 10, 8)
        row.addWidget(QLabel("⚠"))
        row.addWidget(self.message, 1)
        row.addWidget(button)
        self.hide()

    def show_down(self, detail: str) -> None:
        self.message.setText(f"{detail} Retrying automatically; the studio keeps working.")
        self.show()
