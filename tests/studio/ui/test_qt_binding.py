"""The Qt binding must not leak references to Python's singletons.

PySide6 6.12.0 on Python 3.11 drops one reference to ``None`` on every Qt call that returns
nothing; the studio makes thousands a minute, and when the count reaches zero the interpreter
aborts (``Fatal Python error: none_dealloc``) — the app died by itself after three minutes. A
short test suite never lives long enough to see that, so this one counts the references.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QProgressBar, QPushButton, QWidget

CALLS = 2_000


def void_calls() -> dict[str, Callable[[], object]]:
    """Void (and bool-taking) Qt calls of the kind the studio makes on every frame and tick."""
    widget, label, button = QWidget(), QLabel(), QPushButton("Go Live")
    combo, bar, timer = QComboBox(), QProgressBar(), QTimer()
    combo.addItems(["VP8", "H.264"])
    pixmap = QPixmap.fromImage(QImage(16, 16, QImage.Format.Format_RGB888))
    keep = (widget, label, button, combo, bar, timer, pixmap)
    return {
        "QWidget.setEnabled(True)": lambda: keep[0].setEnabled(True),
        "QWidget.setVisible(False)": lambda: keep[0].setVisible(False),
        "QWidget.update()": lambda: keep[0].update(),
        "QWidget.setProperty(bool)": lambda: keep[0].setProperty("live", True),
        "QLabel.setText()": lambda: keep[1].setText("● LIVE"),
        "QLabel.setPixmap()": lambda: keep[1].setPixmap(keep[6]),
        "QPushButton.setChecked(True)": lambda: keep[2].setChecked(True),
        "QComboBox.setCurrentIndex()": lambda: keep[3].setCurrentIndex(1),
        "QProgressBar.setValue()": lambda: keep[4].setValue(42),
        "QTimer.start()": lambda: keep[5].start(1000),
    }


@pytest.mark.parametrize("singleton", [None, True, False], ids=["None", "True", "False"])
def test_void_qt_calls_keep_the_singletons_alive(qapp: QApplication, singleton: object) -> None:
    leaks: dict[str, int] = {}
    for name, call in void_calls().items():
        call()  # first calls may cache things
        before = sys.getrefcount(singleton)
        for _ in range(CALLS):
            call()
        lost = before - sys.getrefcount(singleton)
        if lost >= CALLS // 2:
            leaks[name] = lost
    assert not leaks, (
        f"the Qt binding (PySide6 {qt_version()}) loses a reference to {singleton!r} per call: "
        f"{leaks}; pin a release that does not (see pyproject.toml)"
    )


def qt_version() -> str:
    import PySide6

    return PySide6.__version__
