"""The centre of the main window: the preview, or a stage a panel shows in its place (a
co-host session's tiles, a PK battle's pair). Panels are given this area to show and hide
their stage; the newest shown is on top, and hiding it returns to the one before."""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QWidget


class StageArea(QStackedWidget):
    def __init__(self, preview: QWidget) -> None:
        super().__init__()
        self.preview = preview
        self.addWidget(preview)
        self._stages: list[QWidget] = []  # shown by panels, the newest on top

    def show_stage(self, stage: QWidget) -> None:
        """Show ``stage`` where the preview is."""
        if self.indexOf(stage) < 0:
            self.addWidget(stage)
        if stage in self._stages:
            self._stages.remove(stage)
        self._stages.append(stage)
        self.setCurrentWidget(stage)

    def hide_stage(self, stage: QWidget) -> None:
        """Stop showing ``stage``: back to the stage shown before it, or the preview."""
        if stage in self._stages:
            self._stages.remove(stage)
        self.setCurrentWidget(self._stages[-1] if self._stages else self.preview)
