"""Asking before an action that cannot be undone (forfeiting a battle, spending coins, ending
a live stream).

:func:`confirm` shows a modal question in the app's theme, says what the action means in
plain text, names the action on its button (never a bare "OK") and makes the safe answer the
default, so Enter or Escape never does the irreversible thing. It returns True only when the
action's button is pressed.

Tests answer it without a modal loop: inside ``with answering(True, False) as asked:`` each
question is built exactly as it would be shown, recorded in ``asked``, and answered by clicking
its real button; a question nobody expected fails the test instead of blocking it.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from studio.ui.widgets import role_button


@dataclass(frozen=True)
class Question:
    """What a confirmation asked, as the person saw it."""

    title: str
    text: str
    accept_label: str
    reject_label: str


class _Script:
    """Answers given in advance, in order (tests only)."""

    def __init__(self, answers: tuple[bool, ...]) -> None:
        self.answers = deque(answers)
        self.asked: list[Question] = []

    def answer(self, question: Question) -> bool:
        self.asked.append(question)
        if not self.answers:
            raise AssertionError(f"confirm() asked a question nobody answered: {question}")
        return self.answers.popleft()


_script: _Script | None = None


def confirm(
    parent: QWidget | None,
    title: str,
    text: str,
    accept_label: str,
    reject_label: str = "Cancel",
    danger: bool = True,
) -> bool:
    """Ask ``title`` and ``text`` (plain text: names from other people are shown as typed, never
    as markup); True to go ahead.

    ``danger`` styles the action's button as destructive (forfeits, spending, ending a stream).
    """
    box = QMessageBox(parent)
    box.setWindowTitle(title)
    box.setIcon(QMessageBox.Icon.Warning if danger else QMessageBox.Icon.Question)
    box.setTextFormat(Qt.TextFormat.RichText)  # only for the bold title: both parts escaped
    box.setText(
        f"<p style='font-size: 15px; font-weight: 700'>{escape(title)}</p><p>{escape(text)}</p>"
    )
    accept = role_button(accept_label, "danger" if danger else "primary")
    reject = QPushButton(reject_label)
    box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(reject, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(reject)
    box.setEscapeButton(reject)
    try:
        if _script is not None:
            question = Question(title, text, accept_label, reject_label)
            (accept if _script.answer(question) else reject).click()
        else:
            box.exec()
        return box.clickedButton() is accept
    finally:
        box.deleteLater()


@contextlib.contextmanager
def answering(*answers: bool) -> Iterator[list[Question]]:
    """Answer the next confirmations with ``answers`` (True: the action's button), in order."""
    global _script
    previous, _script = _script, _Script(answers)
    try:
        yield _script.asked
        if _script.answers:
            raise AssertionError(f"confirm() was not asked; answers left: {list(_script.answers)}")
    finally:
        _script = previous
