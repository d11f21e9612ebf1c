"""The scenes and sources docks.

:class:`ScenesPanel` lists the collection's scenes: add, remove (after asking), rename in place,
reorder, duplicate; a click or Ctrl+Alt+1…9 switches the program to a scene, with a cut or a
fade. :class:`SourcesPanel` lists the current scene's layers, topmost first: add a source (a
menu of the kinds), remove, rename, reorder, duplicate, show/hide and lock, and the selected
layer's properties, generated from its source's declared parameters. Both edit through the
:class:`~studio.ui.scene_editor.SceneEditor`, which also drives the layer overlay on the
preview, so a selection made in either place shows in the other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QScrollArea,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from filters.params import ParamError
from studio.ui import theme
from studio.ui.confirm import confirm
from studio.ui.param_controls import ParamControl, control_for
from studio.ui.parts import PanelParts
from studio.ui.scene_editor import CANVAS_LABELS, TRANSITION_LABELS, LayerRow, SceneEditor, SceneRow
from studio.ui.transform_form import TransformForm
from studio.ui.user_text import button_text, plain_tip
from studio.ui.widgets import dim, section

HOTKEYS: Final = 9  # Ctrl+Alt+1 … Ctrl+Alt+9 switch to the first nine scenes
KEY: Final = Qt.ItemDataRole.UserRole
ICON_PX: Final = 16
NAME, SHOWN, LOCKED = 0, 1, 2  # the sources list's columns
NOTHING_SELECTED: Final = "Select a layer to see its properties."
PROBLEMS_MS: Final = 1000  # how often the list looks for layers showing a placeholder
LIST_ROWS: Final = 3  # the layers list never shrinks below this many rows
WIDE: Final = 1.6  # a sources dock this many times wider than tall puts properties beside


def hotkey(position: int) -> str:
    """The keys that switch to the scene at ``position`` (0-based), "" past the ninth."""
    return f"Ctrl+Alt+{position + 1}" if position < HOTKEYS else ""


def icon(name: str) -> QIcon:
    return QIcon(str(Path(theme.ICONS) / f"{name}.svg"))


def tool_button(icon_name: str, tip: str, slot: Callable[[], object] | None = None) -> QToolButton:
    button = QToolButton()
    button.setIcon(icon(icon_name))
    button.setIconSize(QSize(ICON_PX, ICON_PX))
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    if slot is not None:
        button.clicked.connect(slot)
    return button


class EditButtons(QHBoxLayout):
    """The row under a list of named things (scenes, layers): add (a click, or a menu to pick
    from), remove, duplicate, rename, and move up and down (each with its own words)."""

    def __init__(
        self,
        what: str,
        add: Callable[[], object] | QMenu,
        remove: Callable[[], object],
        duplicate: Callable[[], object],
        rename: Callable[[], object],
        up: tuple[str, Callable[[], object]],
        down: tuple[str, Callable[[], object]],
        adds: str = "",
    ) -> None:
        """``adds``: what adding makes, when not a ``what`` (a layer is added as a source)."""
        super().__init__()
        self.setSpacing(4)
        if isinstance(add, QMenu):
            self.add = tool_button("plus", f"Add a {adds or what}")
            self.add.setMenu(add)
            self.add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        else:
            self.add = tool_button("plus", f"Add a {adds or what}", add)
        self.remove = tool_button("minus", f"Remove the {what}…", remove)
        self.duplicate = tool_button("duplicate", f"Duplicate the {what}", duplicate)
        self.rename = tool_button("rename", f"Rename the {what} (F2)", rename)
        self.up = tool_button("arrow-up", *up)
        self.down = tool_button("arrow-down", *down)
        for button in (self.add, self.remove, self.duplicate, self.rename, self.up, self.down):
            self.addWidget(button)
        self.addStretch()


def ask_to_remove(parent: QWidget, what: str, name: str, consequence: str) -> bool:
    """Ask before removing ``name`` (a scene, a layer): it cannot be undone."""
    return confirm(parent, f"Remove the {what}", f"“{name}” {consequence}", "Remove")


class ScenesPanel(QWidget):
    """The scenes of the collection (see the module's docstring)."""

    def __init__(self, parts: PanelParts, editor: SceneEditor) -> None:
        super().__init__()
        self.editor = editor
        self.toasts = parts.toasts
        self.list = QListWidget()
        self.list.setObjectName("scenes")
        self.list.setEditTriggers(
            QListWidget.EditTrigger.DoubleClicked | QListWidget.EditTrigger.EditKeyPressed
        )
        self.list.itemClicked.connect(self._clicked)
        self.list.itemChanged.connect(self._renamed)
        self.buttons = EditButtons(
            "scene",
            self.add_scene,
            self.remove_scene,
            self._duplicate,
            self._start_rename,
            up=("Move up", lambda: self._move(-1)),
            down=("Move down", lambda: self._move(1)),
        )
        self.transition = QComboBox()
        for choice, label in TRANSITION_LABELS.items():
            self.transition.addItem(label, choice)
        self.transition.setToolTip("How the program changes to another scene")
        self.transition.activated.connect(
            lambda index: editor.set_transition(self.transition.itemData(index))
        )
        self.hotkeys = [self._hotkey(position) for position in range(HOTKEYS)]
        self._shown: tuple[str, list[SceneRow]] | None = None

        column = QVBoxLayout(self)
        column.addWidget(self.list, 1)
        column.addLayout(self.buttons)
        self.canvas = QComboBox()
        for canvas, label in CANVAS_LABELS.items():
            self.canvas.addItem(label, canvas)
        self.canvas.setToolTip(
            "The picture's size; vertical for viewers on phones (layers keep their pixels: "
            "move them to fit)"
        )
        self.canvas.activated.connect(lambda index: editor.set_canvas(self.canvas.itemData(index)))
        settings = QFormLayout()
        settings.addRow("Switch with", self.transition)
        settings.addRow("Canvas", self.canvas)
        column.addLayout(settings)
        editor.scenes_changed.connect(self.show_scenes)
        self.show_scenes()

    def _hotkey(self, position: int) -> QAction:
        """Ctrl+Alt+N: the window adds these so they work wherever the focus is."""
        action = QAction(f"Switch to scene {position + 1}", self)
        action.setShortcut(QKeySequence(hotkey(position)))
        action.triggered.connect(lambda: self.switch_to_position(position))
        return action

    # ---- showing ----------------------------------------------------------------------
    def show_scenes(self, force: bool = False) -> None:
        """List the scenes (again only when they differ from those shown: a layer dragged on
        the preview changes the collection many times a second)."""
        self.transition.setCurrentIndex(self.transition.findData(self.editor.transition))
        self.canvas.setCurrentIndex(self.canvas.findData(self.editor.canvas_name))
        current, scenes = self.editor.current_scene, self.editor.scenes()
        if not force and self._shown == (current, scenes):
            return
        self._shown = (current, scenes)
        self.list.blockSignals(True)
        self.list.clear()
        for position, scene in enumerate(scenes):
            item = QListWidgetItem(scene.name)
            item.setData(KEY, scene.key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            keys = hotkey(position)
            item.setToolTip(
                plain_tip(f"{scene.name}\n{keys} switches to it" if keys else scene.name)
            )
            if scene.key == current:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
                item.setForeground(Qt.GlobalColor.white)
            self.list.addItem(item)
            if scene.key == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self.setEnabled(self.editor.ready)
        self.buttons.remove.setEnabled(self.list.count() > 1)  # a collection keeps one scene

    def _selected_key(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(KEY)) if item is not None else None

    # ---- commands ---------------------------------------------------------------------
    def _clicked(self, item: QListWidgetItem) -> None:
        self.editor.switch_to(str(item.data(KEY)))

    def switch_to_position(self, position: int) -> None:
        scenes = self.editor.scenes()
        if position < len(scenes):
            self.editor.switch_to(scenes[position].key)

    def add_scene(self) -> None:
        key = self.editor.add_scene()
        self._edit(key)

    def remove_scene(self) -> None:
        key = self._selected_key()
        if key is None:
            return
        name = self.editor.scene_name(key)
        consequence = "and its layout go away. Its sources stay in the other scenes that use them."
        if ask_to_remove(self, "scene", name, consequence):
            self.editor.remove_scene(key)

    def _duplicate(self) -> None:
        key = self._selected_key()
        if key is not None:
            self._edit(self.editor.duplicate_scene(key))

    def _move(self, step: int) -> None:
        key = self._selected_key()
        if key is not None:
            self.editor.move_scene(key, step)

    def _start_rename(self) -> None:
        key = self._selected_key()
        if key is not None:
            self._edit(key)

    def _edit(self, key: str) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(KEY) == key:
                self.list.setCurrentItem(item)
                self.list.editItem(item)

    def _renamed(self, item: QListWidgetItem) -> None:
        key, name = str(item.data(KEY)), item.text().strip()
        try:
            self.editor.rename_scene(key, name)
        except ValueError as exc:
            self.toasts.show_toast("Scene not renamed", str(exc), kind="error")
            self.show_scenes(force=True)


class SourcesPanel(QWidget):
    """The current scene's layers and the selected one's properties."""

    def __init__(self, parts: PanelParts, editor: SceneEditor) -> None:
        super().__init__()
        self.editor = editor
        self.toasts = parts.toasts
        self.scene_label = dim()
        problems = [
            f"{k.label} is not available: {k.problem}." for k in editor.source_kinds() if k.problem
        ]
        self.capture_note = dim("\n".join(problems))  # no X11 session: no screen capture
        self.capture_note.setStyleSheet(f"color: {theme.WARNING};")
        self.capture_note.setVisible(bool(problems))
        self.list = QTreeWidget()
        self.list.setObjectName("sources")
        self.list.setColumnCount(3)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setIconSize(QSize(ICON_PX, ICON_PX))
        self.list.setEditTriggers(
            QTreeWidget.EditTrigger.DoubleClicked | QTreeWidget.EditTrigger.EditKeyPressed
        )
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME, header.ResizeMode.Stretch)
        for toggle in (SHOWN, LOCKED):
            header.setSectionResizeMode(toggle, header.ResizeMode.Fixed)
            header.resizeSection(toggle, ICON_PX + 14)
        self.list.setMinimumHeight(LIST_ROWS * (ICON_PX + 16))
        self.list.itemClicked.connect(self._clicked)
        self.list.itemChanged.connect(self._renamed)
        self.list.currentItemChanged.connect(self._current_changed)

        self.buttons = EditButtons(
            "layer",
            self._kinds_menu(),
            self.remove_layer,
            self._duplicate,
            self._start_rename,
            up=("Bring forward", lambda: self._move(1)),
            down=("Send backward", lambda: self._move(-1)),
            adds="source",
        )

        self.properties = QWidget()
        self.form = QFormLayout(self.properties)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.about = dim(NOTHING_SELECTED)  # what the selected layer's kind of source is
        self._shown: tuple[str, list[LayerRow]] | None = None
        self._shown_properties: tuple[str | None, list[dict[str, Any]]] | None = None
        self.controls: dict[str, ParamControl] = {}
        self._values: dict[str, Any] = {}
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page = QWidget()
        page_column = QVBoxLayout(page)
        page_column.setContentsMargins(0, 0, 8, 0)
        page_column.addWidget(self.about)
        page_column.addWidget(self.properties)
        self.placement = TransformForm()
        self.placement.changed.connect(self._set_transform)
        self.placement_title = section("Position and size")
        page_column.addWidget(self.placement_title)
        page_column.addWidget(self.placement)
        page_column.addStretch()
        scroll.setWidget(page)

        layers = QVBoxLayout()
        layers.setContentsMargins(0, 0, 0, 0)
        layers.addWidget(self.scene_label)
        layers.addWidget(self.capture_note)
        layers.addWidget(self.list, 1)
        layers.addLayout(self.buttons)
        properties = QVBoxLayout()
        properties.setContentsMargins(0, 0, 0, 0)
        properties.addWidget(section("Properties"))
        properties.addWidget(scroll, 1)
        self.columns = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self.columns.addLayout(layers, 1)
        self.columns.addLayout(properties, 1)
        editor.layers_changed.connect(self.show_layers)
        editor.selection_changed.connect(self._show_selection)
        self.watch = QTimer(self)  # a source's problems come and go without an edit
        self.watch.setInterval(PROBLEMS_MS)
        self.watch.timeout.connect(self._look_for_problems)
        self.watch.start()
        self.show_layers()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Side by side in a wide dock (under the preview), one above the other in a tall one."""
        super().resizeEvent(event)
        wide = event.size().width() > WIDE * event.size().height()
        self.columns.setDirection(
            QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        )

    def _kinds_menu(self) -> QMenu:
        menu = QMenu(self)
        for kind in self.editor.source_kinds():
            action = menu.addAction(button_text(kind.label))
            action.setData(kind.kind)
            if kind.problem:
                action.setEnabled(False)
                action.setText(button_text(f"{kind.label} (not available)"))
                action.setToolTip(kind.problem)
            action.triggered.connect(lambda _=False, k=kind.kind: self.add_source(k))
        menu.setToolTipsVisible(True)
        return menu

    # ---- showing ----------------------------------------------------------------------
    def show_layers(self, force: bool = False) -> None:
        """List the layers, and show the selected one's properties."""
        self._show_rows(force)
        self.setEnabled(self.editor.ready)
        self._show_selection()

    def _show_rows(self, force: bool = False) -> bool:
        """List the layers again when they differ from those shown (a layer dragged on the
        preview changes the collection many times a second); True when listed again."""
        scene, layers = self.editor.current_scene, self.editor.layers()
        if not force and self._shown == (scene, layers):
            return False
        self._shown = (scene, layers)
        self.scene_label.setText(f"In “{self.editor.scene_name(scene)}”" if scene else "")
        self.list.blockSignals(True)
        self.list.clear()
        for layer in layers:
            self.list.addTopLevelItem(self._item(layer))
        self.list.blockSignals(False)
        return True

    def _look_for_problems(self) -> None:
        if self._show_rows():
            self._show_selection()

    def _item(self, layer: LayerRow) -> QTreeWidgetItem:
        item = QTreeWidgetItem([layer.name, "", ""])
        item.setData(NAME, KEY, layer.key)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        about = f"{layer.name} · {layer.kind_label}"
        item.setToolTip(NAME, plain_tip(f"{about}\n{layer.problem}" if layer.problem else about))
        if layer.problem:  # the preview shows a placeholder with the same words
            item.setForeground(NAME, QColor(theme.WARNING))
        item.setIcon(SHOWN, icon("eye" if layer.visible else "eye-off"))
        item.setToolTip(SHOWN, "Hide" if layer.visible else "Show")
        item.setIcon(LOCKED, icon("lock" if layer.locked else "unlock"))
        item.setToolTip(LOCKED, "Unlock" if layer.locked else "Lock (it cannot be moved)")
        return item

    def _show_selection(self) -> None:
        selected = self.editor.selected
        self.list.blockSignals(True)
        self.list.setCurrentItem(self._find(selected) if selected else None)  # type: ignore[arg-type]
        self.list.blockSignals(False)
        for button in (self.buttons.remove, self.buttons.duplicate, self.buttons.rename):
            button.setEnabled(selected is not None)
        self._show_properties(selected)
        self._show_placement(selected)

    def _find(self, key: str) -> QTreeWidgetItem | None:
        rows = (self.list.topLevelItem(row) for row in range(self.list.topLevelItemCount()))
        return next(
            (item for item in rows if item is not None and item.data(NAME, KEY) == key), None
        )

    def _show_properties(self, key: str | None) -> None:
        """The selected layer's controls: built again for another layer, otherwise only
        their values follow (a slider being dragged is never rebuilt under the mouse)."""
        described = self.editor.parameters(key) if key is not None else []
        specs = [spec for spec, _ in described]
        if self._shown_properties != (key, specs):
            self._shown_properties = (key, specs)
            self._build_controls(key, specs)
        for spec, value in described:
            control = self.controls[spec["name"]]
            if self._values.get(spec["name"]) != value:
                control.set_value(value)
                self._values[spec["name"]] = value

    def _show_placement(self, key: str | None) -> None:
        """The selected layer's transform as numbers (read-only while the layer is locked)."""
        self.placement_title.setVisible(key is not None)
        self.placement.setVisible(key is not None)
        if key is not None:
            self.placement.show_transform(self.editor.transform(key))
            self.placement.setEnabled(not self.editor.is_locked(key))

    def _build_controls(self, key: str | None, specs: list[dict[str, Any]]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.controls = {}
        self._values = {}
        self.about.setText(self.editor.description(key) if key is not None else NOTHING_SELECTED)
        for spec in specs:
            control = control_for(spec, spec["default"])
            control.changed.connect(
                lambda new, name=spec["name"], k=key: self._set_parameter(k, name, new)
            )
            self.controls[spec["name"]] = control
            self.form.addRow(str(spec["label"]), control)

    # ---- commands ---------------------------------------------------------------------
    def add_source(self, kind: str) -> None:
        self.editor.add_source(kind)

    def remove_layer(self) -> None:
        key = self.editor.selected
        if key is None:
            return
        name = self.editor.layer_name(key)
        consequence = "leaves this scene. Other scenes that show the same source keep it."
        if ask_to_remove(self, "layer", name, consequence):
            self.editor.remove_layer(key)

    def _duplicate(self) -> None:
        if self.editor.selected is not None:
            self.editor.duplicate_layer(self.editor.selected)

    def _move(self, step: int) -> None:
        if self.editor.selected is not None:
            self.editor.move_layer(self.editor.selected, step)

    def _start_rename(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item, NAME)

    def _clicked(self, item: QTreeWidgetItem, column: int) -> None:
        key = str(item.data(NAME, KEY))
        if column == SHOWN:
            self.editor.toggle_visible(key)
        elif column == LOCKED:
            self.editor.toggle_locked(key)

    def _current_changed(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        self.editor.select(str(item.data(NAME, KEY)) if item is not None else None)

    def _renamed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != NAME:
            return
        try:
            self.editor.rename_layer(str(item.data(NAME, KEY)), item.text(NAME).strip())
        except ValueError as exc:
            self.toasts.show_toast("Layer not renamed", str(exc), kind="error")
            self.show_layers(force=True)

    def _set_transform(self, name: str, value: int | bool) -> None:
        key = self.editor.selected
        if key is None:
            return
        try:
            self.editor.set_transform(key, name, value)
        except ValueError as exc:
            self.toasts.show_toast("Not changed", str(exc), kind="error")
            self._show_placement(key)

    def _set_parameter(self, key: str, name: str, value: Any) -> None:
        try:
            self.editor.set_parameter(key, name, value)
        except ParamError as exc:
            self.toasts.show_toast("Not changed", str(exc), kind="error")
