"""Asking before what cannot be undone: ending a live, forfeiting a battle, spending coins."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, accept: str) -> bool:
    """A modal question; True only when the person pressed ``accept``.

    Cancel is the default button, so Enter or Escape never ends anything by accident. The text
    is shown as plain text (names in it come from other people).
    """
    box = QMessageBox(parent)
    box.setObjectName("confirm")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    yes = box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes
