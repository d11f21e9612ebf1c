"""Answering the studio's real questions (studio.ui.confirm) the way a person does: a click."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.ui.confirm import DIALOG_NAME, Question

POLL_MS = 20
UNANSWERED_MS = 5_000  # a question open this long with nobody answering it hangs the test
_answering = 0  # answering() blocks open now


@contextmanager
def answering(*answers: bool) -> Iterator[list[Question]]:
    """Answer the questions asked inside the block with ``answers`` in order (True: press the
    action's button, False: the safe one) by clicking the open dialog; yields what was asked.

    A question nobody expected is answered with the safe button and fails the test, and so
    does an answer left over.
    """
    left = deque(answers)
    asked: list[Question] = []
    unexpected: list[Question] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box.objectName() != DIALOG_NAME:
            return
        buttons = {box.buttonRole(b): b for b in box.buttons()}
        accept = buttons[QMessageBox.ButtonRole.AcceptRole]
        reject = buttons[QMessageBox.ButtonRole.RejectRole]
        question = Question(
            box.windowTitle(), box.accessibleDescription(), accept.text(), reject.text()
        )
        asked.append(question)
        if not left:
            unexpected.append(question)
        (accept if left and left.popleft() else reject).click()

    global _answering
    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(answer)
    timer.start()
    _answering += 1
    try:
        yield asked
    finally:
        _answering -= 1
        timer.stop()
    assert not unexpected, f"questions nobody expected: {unexpected}"
    assert not left, f"expected questions were not asked; answers left: {list(left)}"


@contextmanager
def no_question_left_open() -> Iterator[None]:
    """Fail, instead of hanging for ever, when a question opens outside :func:`answering`.

    A modal dialog runs a loop of its own in which pytest's timeout cannot interrupt the test,
    so one nobody answers would stop the whole run. It is dismissed (its safe answer) after
    ``UNANSWERED_MS`` and the test fails, naming it.
    """
    left_open: list[str] = []
    timer = QTimer()
    timer.setSingleShot(True)

    def watch() -> None:
        box = QApplication.activeModalWidget()
        if _answering or not isinstance(box, QMessageBox) or box.objectName() != DIALOG_NAME:
            timer.start(UNANSWERED_MS)
            return
        left_open.append(f"{box.windowTitle()}: {box.accessibleDescription()}")
        box.escapeButton().click()  # type: ignore[union-attr]
        timer.start(UNANSWERED_MS)

    timer.timeout.connect(watch)
    timer.start(UNANSWERED_MS)
    try:
        yield
    finally:
        timer.stop()
    assert not left_open, f"questions asked outside answering(), left open: {left_open}"
