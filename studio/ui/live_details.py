"""The question Go Live asks first: the live's title and category, filled in with the last ones.

Viewers find a live by its title on the home page, and followers read it in their "went live"
notification, so Go Live asks for it (every time, unless the streamer turns that off and the
live has a title). Cancel goes back without going live.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.user_text import PlainLabel
from studio.ui.widgets import dim, role_button
from wire.social import CATEGORIES, MAX_TITLE

DIALOG_NAME = "live-details"  # tests find the open question by this object name
NO_CATEGORY = "No category"


@dataclass(frozen=True)
class LiveDetails:
    """What the streamer settles before going live."""

    title: str
    category: str  # "" for none
    ask_every_time: bool = True


def shown_text(details: LiveDetails, fallback_title: str) -> str:
    """What viewers will read, said to the streamer."""
    if not details.title:
        return (
            f"No title yet: viewers will see “{fallback_title}” on the home page and in your"
            " followers' notification. A title tells them what this live is about."
        )
    where = f" in {details.category}" if details.category else ""
    return (
        f"Viewers see “{details.title}”{where} on the home page, and your followers hear that"
        " you went live."
    )


class LiveDetailsDialog(QDialog):
    def __init__(self, parent: QWidget | None, details: LiveDetails, fallback_title: str) -> None:
        super().__init__(parent)
        self.setObjectName(DIALOG_NAME)
        self.setWindowTitle("Go live")
        self.setModal(True)
        self.setMinimumWidth(440)
        self.fallback_title = fallback_title
        heading = PlainLabel("Go live")
        heading.setStyleSheet("font-size: 16px; font-weight: 800;")
        self.title = QLineEdit(details.title)
        self.title.setMaxLength(MAX_TITLE)
        self.title.setPlaceholderText("What is this live about?")
        self.title.setAccessibleName("Title of your live")
        self.category = QComboBox()
        self.category.addItems([NO_CATEGORY, *CATEGORIES])
        self.category.setCurrentText(details.category or NO_CATEGORY)
        self.category.setAccessibleName("Category of your live")
        self.note = dim()
        self.ask_every_time = QCheckBox("Ask every time I go live")
        self.ask_every_time.setChecked(details.ask_every_time)
        self.ask_every_time.setToolTip(
            "Off: Go Live starts at once with the title in the Audience panel (it asks while"
            " the live has none)"
        )
        self.go_button = role_button("Go Live", "live")
        self.go_button.setDefault(True)  # Enter goes live; Escape is Cancel
        self.cancel_button = QPushButton("Cancel")
        self.go_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Category", self.category)
        buttons = QHBoxLayout()
        buttons.addWidget(self.ask_every_time, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.go_button)
        column = QVBoxLayout(self)
        column.setSpacing(10)
        column.addWidget(heading)
        column.addLayout(form)
        column.addWidget(self.note)
        column.addLayout(buttons)
        self.title.textChanged.connect(self._show_note)
        self.category.currentTextChanged.connect(self._show_note)
        self._show_note()
        self.title.setFocus()

    def answer(self) -> LiveDetails:
        category = self.category.currentText()
        return LiveDetails(
            " ".join(self.title.text().split()),
            "" if category == NO_CATEGORY else category,
            self.ask_every_time.isChecked(),
        )

    def _show_note(self) -> None:
        text = shown_text(self.answer(), self.fallback_title)
        self.note.setText(text)
        self.setAccessibleDescription(text)  # the question as words, for screen readers


def ask_live_details(
    parent: QWidget | None, details: LiveDetails, fallback_title: str
) -> LiveDetails | None:
    """Ask for the live's title and category; None when the streamer cancelled."""
    dialog = LiveDetailsDialog(parent, details, fallback_title)
    try:
        return dialog.answer() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()
