"""The main window's dockable panels and the Go Live control."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.ui.go_live import GoLive
from studio.ui.main_window import MainWindow
from studio.ui.panels.cohost import CohostPanel
from studio.ui.panels.effects import EffectsPanel
from studio.ui.panels.pk import PKPanel
from studio.ui.panels.shopping import ShoppingPanel


def add_panels(window: MainWindow) -> None:
    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    window.add_panel("effects", "Effects", EffectsPanel(window), left, "Ctrl+1")
    window.add_panel("pk", "PK Battle", PKPanel(window), right, "Ctrl+2")
    cohost_panel = CohostPanel(window)
    cohost = window.add_panel("cohost", "Co-hosts", cohost_panel, right, "Ctrl+3")
    window.tabifyDockWidget(window.docks["pk"], cohost)
    shop = window.add_panel("shopping", "Shop", ShoppingPanel(window), right, "Ctrl+4")
    window.tabifyDockWidget(window.docks["pk"], shop)
    window.docks["pk"].raise_()
    # First run (a saved layout overrides it): the panels leave the preview most of the room.
    window.resizeDocks(
        [window.docks["effects"], window.docks["pk"]], [470, 420], Qt.Orientation.Horizontal
    )
    GoLive(window).live_changed.connect(cohost_panel.set_broadcasting)
