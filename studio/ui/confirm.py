"""Asking before what cannot be undone: ending a live, forfeiting a battle, spending coins.

:func:`confirm` shows a modal question in the app's theme that says what the action means in
plain words, names the action on its button (never a bare "OK") and makes the safe answer the
default, so Enter or Escape never does the irreversible thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from studio.ui.widgets import role_button

DIALOG_NAME = "confirm"  # tests find the open question by this object name


@dataclass(frozen=True)
class Question:
    """What a confirmation asks, as the person sees it."""

    title: str
    text: str
    accept_label: str
    reject_label: str = "Cancel"


def confirm(
    parent: QWidget | None,
    title: str,
    text: str,
    accept_label: str,
    reject_label: str = "Cancel",
    danger: bool = True,
) -> bool:
    """Ask ``title`` and ``text``; True only when the person pressed ``accept_label``.

    Both are shown as typed, never as markup (names in them come from other people).
    ``danger`` styles the action's button as destructive (forfeits, spending, ending a stream).
    """
    box = QMessageBox(parent)
    box.setObjectName(DIALOG_NAME)
    box.setWindowTitle(title)
    box.setIcon(QMessageBox.Icon.Warning if danger else QMessageBox.Icon.Question)
    box.setTextFormat(Qt.TextFormat.RichText)  # only for the bold title: both parts escaped
    box.setText(
        f"<p style='font-size: 15px; font-weight: 700'>{escape(title)}</p>"
        f"<p>{escape(text).replace(chr(10), '<br>')}</p>"
    )
    box.setAccessibleDescription(text)  # the question as words, for screen readers
    accept = role_button(accept_label, "danger" if danger else "primary")
    reject = QPushButton(reject_label)
    box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(reject, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(reject)
    box.setEscapeButton(reject)
    try:
        box.exec()
        return box.clickedButton() is accept
    finally:
        box.deleteLater()
