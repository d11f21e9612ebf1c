"""The confirmation box: the real modal dialog, and the answers tests give it by clicking."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from studio.ui.confirm import Question, confirm
from tests.studio.ui.dialogs import answering

TITLE, TEXT = "End the battle early?", "You forfeit: <b>Bob</b> wins and gets the rewards."


def ask_and_then(qtbot: QtBot, act: Callable[[QMessageBox], None]) -> tuple[bool, str]:
    """Run the real modal ``confirm``; ``act`` answers the box once it shows.

    Returns the answer and the text the person saw in the box.
    """
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(" ".join(label.text() for label in box.findChildren(QLabel)))
        act(box)

    QTimer.singleShot(0, answer)
    return confirm(parent, TITLE, TEXT, "End battle and forfeit", "Keep battling"), seen[0]


def press(label: str) -> Callable[[QMessageBox], None]:
    def click(box: QMessageBox) -> None:
        button = next(b for b in box.findChildren(QPushButton) if b.text() == label)
        button.click()

    return click


def key(which: Qt.Key) -> Callable[[QMessageBox], None]:
    return lambda box: QtBot.keyClick(box, which)


@pytest.mark.parametrize(
    ("act", "expected"),
    [
        (press("End battle and forfeit"), True),
        (press("Keep battling"), False),
        (key(Qt.Key.Key_Escape), False),
        (key(Qt.Key.Key_Return), False),  # Enter takes the safe answer, never the action
    ],
)
def test_only_the_actions_own_button_says_yes(
    qtbot: QtBot, act: Callable[[QMessageBox], None], expected: bool
) -> None:
    answer, seen = ask_and_then(qtbot, act)
    assert answer is expected
    assert TITLE in seen and "&lt;b&gt;Bob&lt;/b&gt;" in seen  # markup in names stays text


def test_answers_press_the_real_buttons_in_order(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    with answering(True, False) as asked:
        assert confirm(parent, "Unlock Golden hour?", "It costs 120 coins.", "Unlock") is True
        assert confirm(parent, TITLE, TEXT, "End battle and forfeit", "Keep battling") is False
    assert asked == [
        Question("Unlock Golden hour?", "It costs 120 coins.", "Unlock", "Cancel"),
        Question(TITLE, TEXT, "End battle and forfeit", "Keep battling"),
    ]


def test_a_question_nobody_expected_fails_instead_of_blocking(qtbot: QtBot) -> None:
    with pytest.raises(AssertionError, match="nobody expected"), answering():
        confirm(None, TITLE, TEXT, "End battle and forfeit")
    with pytest.raises(AssertionError, match="answers left"), answering(True):
        pass
