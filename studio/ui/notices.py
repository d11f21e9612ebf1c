"""What the studio tells the user when it starts after trouble: a damaged settings file that
was set aside, a crash report from the last run (offered once: "Show report" / "Dismiss"), and
a report written while the studio runs (an error in a Qt slot: the studio carries on)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.crash import CrashReporter
from studio.ui.main_window import MainWindow


def settings_set_aside(window: MainWindow, moved_to: Path) -> QMessageBox:
    """Say that the settings file was damaged, where it went, and that defaults are in use."""
    box = _message(
        window,
        "settings-set-aside",
        "Settings were damaged",
        f"Your settings file was damaged and has been set aside as {moved_to}; "
        "starting with the default settings.",
    )
    box.setIcon(QMessageBox.Icon.Warning)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.open()
    return box


def offer_crash_reports(window: MainWindow, reporter: CrashReporter) -> QMessageBox | None:
    """Offer the newest report not offered yet (each is offered once); None when none is."""
    pending = reporter.pending()
    if not pending:
        return None
    for report in pending:
        reporter.mark_offered(report)
    earlier = len(pending) - 1
    more = f" ({earlier} earlier report{'s' * (earlier != 1)} in the same folder.)"
    box = _message(
        window,
        "crash-report-offer",
        "OnAir Studio ran into a problem",
        "OnAir Studio stopped unexpectedly or hit an error last time. A crash report was saved "
        f"as {pending[0]}." + (more if earlier else ""),
    )
    box.setIcon(QMessageBox.Icon.Information)
    show = box.addButton("Show report", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Dismiss", QMessageBox.ButtonRole.RejectRole)
    show.clicked.connect(lambda: CrashReportDialog(pending[0], window).open())
    box.open()
    return box


def report_now(window: MainWindow, reporter: CrashReporter) -> None:
    """While the studio runs, each new report is announced at once (and so not offered again
    on the next start)."""

    def announce(report: Path) -> None:
        window.toasts.show_toast(
            "Something went wrong",
            f"The studio carries on; a report was saved as {report}.",
            kind="error",
            ms=10_000,
            group="crash-report",
        )
        reporter.mark_offered(report)

    reporter.on_report = announce


class CrashReportDialog(QDialog):
    """A report's text (read-only, plain text) with a button to copy it."""

    def __init__(self, report: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crash-report")
        self.setWindowTitle(f"Crash report: {report.name}")
        self.resize(760, 520)
        self.text = QPlainTextEdit(report.read_text(encoding="utf-8", errors="replace"))
        self.text.setReadOnly(True)
        self.text.setFont(QFont("monospace"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy to clipboard")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)


def _message(parent: QWidget, name: str, title: str, text: str) -> QMessageBox:
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)  # paths come from the file system
    box.setText(text)
    return box
