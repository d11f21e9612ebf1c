"""Answering the studio's real confirmation dialogs (studio.ui.confirm) from a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.ui.confirm import DIALOG_NAME

POLL_MS = 20


@contextmanager
def answering(accept: bool) -> Iterator[list[str]]:
    """While inside, every confirmation that opens is answered (its accept button, or
    Cancel); yields the questions asked, in order."""
    asked: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box.objectName() != DIALOG_NAME:
            return
        asked.append(box.text())
        roles = {box.buttonRole(b): b for b in box.buttons()}
        wanted = QMessageBox.ButtonRole.AcceptRole if accept else QMessageBox.ButtonRole.RejectRole
        roles[wanted].click()

    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(answer)
    timer.start()
    try:
        yield asked
    finally:
        timer.stop()
