"""The main window's dockable panels and the Go Live control.

:func:`add_panels` is where the parts meet: each panel is given what it uses (the broadcast
engine, the session, the settings, the task runner, the toasts, the session's signals, the
stage area) and the window only hosts it (dock, toolbar, banner, shutdown).
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.ui.go_live import GoLive
from studio.ui.layer_overlay import LayerOverlay
from studio.ui.main_window import MainWindow
from studio.ui.panels.audience import AudiencePanel
from studio.ui.panels.audio_mixer import AudioMixerPanel
from studio.ui.panels.chat import ChatPanel
from studio.ui.panels.cohost import CohostPanel
from studio.ui.panels.effects import EffectsPanel
from studio.ui.panels.gifts import GiftsPanel
from studio.ui.panels.outputs import OutputsPanel, output_deck
from studio.ui.panels.pk import PKPanel
from studio.ui.panels.scenes import ScenesPanel, SourcesPanel
from studio.ui.panels.shopping import ShoppingPanel
from studio.ui.parts import PanelParts
from studio.ui.scene_editor import SceneEditor

SCENE_DOCKS_HEIGHT = 250  # px on a first run (a saved layout overrides it)


def add_panels(window: MainWindow) -> None:
    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    broadcast, settings, stages = window.broadcast, window.settings, window.centre
    parts = panel_parts(window)
    effects = EffectsPanel(parts, broadcast, settings, window.refresh_balance)
    pk = PKPanel(parts, settings=settings, broadcast=broadcast, stages=stages)
    cohost = CohostPanel(parts, broadcast=broadcast, stages=stages)
    shopping = ShoppingPanel(parts, settings=settings)
    chat = ChatPanel(parts, chain=broadcast.chain)
    audience = AudiencePanel(parts, settings=settings)
    gifts = GiftsPanel(parts, broadcast=broadcast)
    deck = output_deck(broadcast, settings, window.session.store.path.parent)
    outputs = OutputsPanel(parts, deck=deck, settings=settings)
    mixer = AudioMixerPanel(mixer=broadcast.mixer, settings=settings)
    window.add_panel("effects", "Effects", effects, left, "Ctrl+1")
    window.add_panel("pk", "PK Battle", pk, right, "Ctrl+2")
    for dock in (
        window.add_panel("cohost", "Co-hosts", cohost, right, "Ctrl+3"),
        window.add_panel("shopping", "Shop", shopping, right, "Ctrl+4"),
        window.add_panel("chat", "Chat", chat, right, "Ctrl+5"),
        window.add_panel("audience", "Audience", audience, right, "Ctrl+6"),
        window.add_panel("gifts", "Gifts", gifts, right, "Ctrl+7"),
        window.add_panel("outputs", "Outputs", outputs, right, "Ctrl+0"),
        window.add_panel("mixer", "Audio mixer", mixer, right, "Ctrl+M"),
    ):
        window.tabifyDockWidget(window.docks["pk"], dock)
    window.docks["mixer"].visibilityChanged.connect(mixer.set_shown)
    window.docks["pk"].raise_()
    # First run (a saved layout overrides it): the panels leave the preview most of the room.
    window.resizeDocks(
        [window.docks["effects"], window.docks["pk"]], [470, 420], Qt.Orientation.Horizontal
    )
    window.shutdown_hooks.extend([pk.shutdown, cohost.shutdown, outputs.shutdown, mixer.shutdown])
    go_live = add_go_live(window)
    go_live.live_changed.connect(cohost.set_broadcasting)
    go_live.questions.append(audience.ask_before_live)  # the live's title, asked on Go Live
    go_live.before_live.append(audience.publish_details)  # ...and set as it starts
    add_scenes(window)


def panel_parts(window: MainWindow) -> PanelParts:
    """What of the window every panel is given."""
    return PanelParts(window.session, window.tasks, window.toasts, window.signals)


def add_go_live(window: MainWindow) -> GoLive:
    """Go Live and its output menu in the toolbar, its health strip and banner in the window."""
    go_live = GoLive(panel_parts(window), window.broadcast, window.settings)
    window.add_toolbar_widget(go_live)
    window.add_toolbar_widget(go_live.output_menu)
    window.add_banner(go_live.keep_up_banner)
    window.statusBar().addWidget(go_live.health, 1)
    window.shutdown_hooks.append(go_live.stop)
    window.end_guards.append(go_live.end_question)
    return go_live


def add_scenes(window: MainWindow) -> None:
    """The Scenes and Sources docks along the bottom, the layer editor on the preview, and
    the scene hotkeys (window-wide, so they work whichever panel has the focus)."""
    editor = SceneEditor(window.broadcast)
    parts = panel_parts(window)
    scenes = ScenesPanel(parts, editor)
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    scenes_dock = window.add_panel("scenes", "Scenes", scenes, bottom, "Ctrl+8")
    sources = SourcesPanel(parts, editor)
    sources_dock = window.add_panel("sources", "Sources", sources, bottom, "Ctrl+9")
    docks = [scenes_dock, sources_dock]
    window.resizeDocks(docks, [SCENE_DOCKS_HEIGHT] * 2, Qt.Orientation.Vertical)
    window.resizeDocks(docks, [1, 2], Qt.Orientation.Horizontal)  # a third for the names
    window.addActions(scenes.hotkeys)
    overlay = LayerOverlay(window.preview, editor)
    editor.layers_changed.connect(overlay.refresh)
    editor.selection_changed.connect(overlay.refresh)
