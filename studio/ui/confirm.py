"""Asking before something that cannot be undone (spending coins, ending a live): one themed
question with a named accept button and Cancel, Cancel being the default."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

DIALOG_NAME = "confirm"  # tests find the open question by this object name


def confirm(parent: QWidget, title: str, text: str, accept: str) -> bool:
    """Ask ``text``; True when the person pressed ``accept`` (Cancel, Esc or closing: False)."""
    box = QMessageBox(parent)
    box.setObjectName(DIALOG_NAME)
    box.setWindowTitle(title)
    box.setIcon(QMessageBox.Icon.Question)
    box.setTextFormat(Qt.TextFormat.PlainText)  # names in the text are other people's
    box.setText(text)
    yes = box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    answered = box.clickedButton() is yes
    box.deleteLater()
    return answered
