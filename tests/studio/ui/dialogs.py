"""Answering the studio's questions (studio.ui.confirm) the way a person does: a click."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


@contextmanager
def answering(choice: str) -> Iterator[list[str]]:
    """Press the button labelled ``choice`` on every question asked inside the block (Cancel
    when there is none); yields the texts asked, so a test can check what was asked."""
    asked: list[str] = []
    timer = QTimer()
    timer.setInterval(20)

    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible():
            return
        asked.append(box.text())
        labels = {button.text(): button for button in box.buttons()}
        (labels.get(choice) or labels["Cancel"]).click()

    timer.timeout.connect(press)
    timer.start()
    try:
        yield asked
    finally:
        timer.stop()
