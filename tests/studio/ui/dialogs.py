"""Answering the studio's real questions the way a person does: typing and a click. The
questions: confirmations (studio.ui.confirm) and Go Live's title and category
(studio.ui.live_details)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from studio.ui import live_details
from studio.ui.confirm import DIALOG_NAME, Question
from studio.ui.live_details import LiveDetailsDialog

POLL_MS = 20
UNANSWERED_MS = 5_000  # a question open this long with nobody answering it hangs the test
_answering = 0  # answering() blocks open now
QUESTIONS = (DIALOG_NAME, live_details.DIALOG_NAME)


@dataclass(frozen=True)
class GoLiveAnswer:
    """Go Live's question answered: type these (None keeps what is filled in), then press
    Go Live (``go``) or Cancel."""

    title: str | None = None
    category: str | None = None  # as listed, "No category" included
    ask_every_time: bool | None = None
    go: bool = True


GO_LIVE = GoLiveAnswer()  # go live with the title and category filled in
Answer = bool | GoLiveAnswer


def open_question() -> QDialog | None:
    box = QApplication.activeModalWidget()
    return box if isinstance(box, QDialog) and box.objectName() in QUESTIONS else None


def _confirm(box: QMessageBox, answer: Answer | None) -> Question:
    buttons = {box.buttonRole(b): b for b in box.buttons()}
    accept = buttons[QMessageBox.ButtonRole.AcceptRole]
    reject = buttons[QMessageBox.ButtonRole.RejectRole]
    question = Question(
        box.windowTitle(), box.accessibleDescription(), accept.text(), reject.text()
    )
    (accept if answer is True else reject).click()
    return question


def _go_live(box: LiveDetailsDialog, answer: Answer | None) -> Question:
    question = Question(
        box.windowTitle(),
        box.accessibleDescription(),
        box.go_button.text(),
        box.cancel_button.text(),
    )
    if not isinstance(answer, GoLiveAnswer):
        box.cancel_button.click()
        return question
    if answer.title is not None:
        box.title.setText(answer.title)
    if answer.category is not None:
        box.category.setCurrentText(answer.category)
    if answer.ask_every_time is not None:
        box.ask_every_time.setChecked(answer.ask_every_time)
    (box.go_button if answer.go else box.cancel_button).click()
    return question


@contextmanager
def answering(*answers: Answer) -> Iterator[list[Question]]:
    """Answer the questions asked inside the block with ``answers`` in order by using the
    open dialog; yields what was asked. A confirmation takes True (press the action's button)
    or False (the safe one); Go Live's question a :class:`GoLiveAnswer` (``GO_LIVE``: go live
    with what is filled in).

    A question nobody expected, or not the kind expected, is answered with the safe button
    and fails the test, and so does an answer left over.
    """
    left = deque(answers)
    asked: list[Question] = []
    unexpected: list[Question] = []

    def answer() -> None:
        box = open_question()
        if box is None:
            return
        expected = left.popleft() if left else None
        if isinstance(box, LiveDetailsDialog):
            question = _go_live(box, expected)
            fits = isinstance(expected, GoLiveAnswer)
        else:
            assert isinstance(box, QMessageBox)
            question = _confirm(box, expected)
            fits = isinstance(expected, bool)
        asked.append(question)
        if not fits:
            unexpected.append(question)

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
        box = open_question()
        if _answering or box is None:
            timer.start(UNANSWERED_MS)
            return
        left_open.append(f"{box.windowTitle()}: {box.accessibleDescription()}")
        box.reject()  # the safe answer
        timer.start(UNANSWERED_MS)

    timer.timeout.connect(watch)
    timer.start(UNANSWERED_MS)
    try:
        yield
    finally:
        timer.stop()
    assert not left_open, f"questions asked outside answering(), left open: {left_open}"
