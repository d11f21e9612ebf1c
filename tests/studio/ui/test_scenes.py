"""The scenes and sources docks and the layer editor on the preview, in a real studio window
composing its real scene collection (saved to scenes.json)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLineEdit,
    QListWidgetItem,
    QTreeWidgetItem,
)
from pytestqt.qtbot import QtBot

from studio.core.scenes.model import SceneCollection, Transform
from studio.ui import theme
from studio.ui.layer_overlay import LayerOverlay
from studio.ui.main_window import MainWindow
from studio.ui.panels.scenes import LOCKED, NAME, SHOWN, ScenesPanel, SourcesPanel
from studio.ui.param_controls import ChoiceControl, NumberControl, TextControl
from studio.ui.scene_editor import SceneEditor
from studio.ui.toasts import Toast
from studio.ui.transform_form import KEEP_ASPECT, NUMBERS
from tests.servers import LiveServer
from tests.studio.core.scenes.test_capture import xvfb  # noqa: F401  (a fixture: an X11 screen)
from tests.studio.core.scenes.test_window_capture import TITLE as WINDOW_TITLE
from tests.studio.core.scenes.test_window_capture import driven_window  # noqa: F401  (a fixture)
from tests.studio.ui.conftest import StudioFactory, make_account
from tests.studio.ui.dialogs import answering

WAIT = 15_000
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)


def docks(window: MainWindow, qtbot: QtBot) -> tuple[ScenesPanel, SourcesPanel, SceneEditor]:
    scenes = window.docks["scenes"].widget()
    sources = window.docks["sources"].widget()
    assert isinstance(scenes, ScenesPanel) and isinstance(sources, SourcesPanel)
    qtbot.waitUntil(lambda: scenes.editor.ready and scenes.list.count() > 0, timeout=WAIT)
    return scenes, sources, scenes.editor


def overlay_of(window: MainWindow) -> LayerOverlay:
    overlay = window.preview.findChild(LayerOverlay)
    assert isinstance(overlay, LayerOverlay)
    return overlay


def collection(editor: SceneEditor) -> SceneCollection:
    return editor.collection


def transform(editor: SceneEditor, layer: str) -> Transform:
    return collection(editor).scene(editor.current_scene).layer(layer).transform


def scene_item(panel: ScenesPanel, name: str) -> QListWidgetItem:
    items = panel.list.findItems(name, Qt.MatchFlag.MatchExactly)
    assert len(items) == 1, [panel.list.item(i).text() for i in range(panel.list.count())]
    return items[0]


def layer_item(panel: SourcesPanel, name: str) -> QTreeWidgetItem:
    items = panel.list.findItems(name, Qt.MatchFlag.MatchExactly, NAME)
    assert len(items) == 1, [row.name for row in panel.editor.layers()]
    return items[0]


def click_scene(qtbot: QtBot, panel: ScenesPanel, name: str) -> None:
    panel.list.scrollToItem(scene_item(panel, name))
    rect = panel.list.visualItemRect(scene_item(panel, name))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def click_layer(qtbot: QtBot, panel: SourcesPanel, name: str, column: int = NAME) -> None:
    panel.list.scrollToItem(layer_item(panel, name))
    rect = panel.list.visualItemRect(layer_item(panel, name))
    x = panel.list.header().sectionViewportPosition(column) + 4
    point = QPoint(x + panel.list.header().sectionSize(column) // 2 - 4, rect.center().y())
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=point)


def type_name(qtbot: QtBot, view: QAbstractItemView, text: str) -> None:
    """Type into the name editor open in ``view``'s list, and press Enter."""
    fields = [f for f in view.viewport().findChildren(QLineEdit) if f.isVisible()]
    assert len(fields) == 1, "no name is being edited"
    field = fields[0]
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)  # the list takes the name a moment later
    qtbot.waitUntil(lambda: view.state() != QAbstractItemView.State.EditingState, timeout=15_000)


def add_source(panel: SourcesPanel, kind: str) -> None:
    menu = panel.buttons.add.menu()
    assert menu is not None
    action = next(a for a in menu.actions() if a.data() == kind)
    assert action.isEnabled(), action.toolTip()
    action.trigger()


def drag(qtbot: QtBot, overlay: LayerOverlay, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(overlay, Qt.MouseButton.LeftButton, pos=start)
    halfway = (start + end) / 2
    qtbot.mouseMove(overlay, halfway)
    qtbot.mouseMove(overlay, end)
    qtbot.mouseRelease(overlay, Qt.MouseButton.LeftButton, pos=end)


def saved_scenes(window: MainWindow) -> dict[str, object]:
    path = Path(window.session.store.path).parent / "scenes.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


@pytest.mark.usefixtures("xvfb")  # set up first: the X11 screen outlives the window capturing it
def test_screen_and_camera_dragged_to_a_corner_then_switched_by_hotkey(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window = studio(server.url, make_account(server.url))  # signed in: no dialog on top
    scenes, sources, editor = docks(window, qtbot)
    starters = [row.name for row in editor.scenes()]
    assert starters == ["Camera", "Screen + camera", "Starting soon", "Be right back"]
    assert not sources.capture_note.isVisible()  # an X11 display: screen capture works

    # A new scene, named in place, switched to with a click.
    scenes.buttons.add.click()
    type_name(qtbot, scenes.list, "Gaming")
    click_scene(qtbot, scenes, "Gaming")
    assert editor.scene_name(editor.current_scene) == "Gaming" and editor.layers() == []

    add_source(sources, "screen")
    add_source(sources, "camera")
    screen, camera = reversed(editor.layers())  # listed topmost first
    assert (screen.kind_label, camera.kind_label) == ("Screen capture", "Camera")
    assert transform(editor, screen.key) == Transform(0, 0, 1280, 720)  # the first one fills
    assert editor.selected == camera.key  # a new layer is selected
    start = transform(editor, camera.key)

    # Drag the camera on the preview into the bottom-right corner: it snaps to both edges.
    overlay = overlay_of(window)
    scale = overlay.canvas_rect().width() / 1280
    grab = overlay.to_screen(editor.boxes()[-1].box).center().toPoint()
    past = QPoint(
        round((1280 - start.x - start.width + 3) * scale),
        round((720 - start.y - start.height + 3) * scale),
    )
    drag(qtbot, overlay, grab, grab + past)
    moved = transform(editor, camera.key)
    assert (moved.x + moved.width, moved.y + moved.height) == (1280, 720)
    assert (moved.width, moved.height) == (start.width, start.height)

    # Grab its top-left handle and make it smaller: the bottom-right corner stays put.
    handle = overlay.to_screen(editor.boxes()[-1].box).topLeft().toPoint()
    drag(qtbot, overlay, handle, handle + QPoint(round(160 * scale), round(40 * scale)))
    smaller = transform(editor, camera.key)
    assert smaller.width < moved.width and smaller.width * 9 == pytest.approx(
        smaller.height * 16, abs=16
    )
    assert (smaller.x + smaller.width, smaller.y + smaller.height) == (1280, 720)

    # Ctrl+Alt+N switches to the N-th scene, live or not.
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_3, CTRL_ALT)
    assert editor.scene_name(editor.current_scene) == "Starting soon"
    assert scene_item(scenes, "Starting soon").font().bold()
    qtbot.keyClick(window, Qt.Key.Key_5, CTRL_ALT)
    assert editor.scene_name(editor.current_scene) == "Gaming"
    assert "Ctrl+Alt+5" in scene_item(scenes, "Gaming").toolTip()

    # The scene was saved as it was edited.
    def saved_gaming() -> bool:
        data = saved_scenes(window)
        return any(s["name"] == "Gaming" and len(s["layers"]) == 2 for s in data.get("scenes", []))  # type: ignore[union-attr]

    qtbot.waitUntil(saved_gaming, timeout=WAIT)


def test_scenes_renamed_reordered_duplicated_and_removed(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, no_display: None
) -> None:
    window = studio(server.url)
    scenes, _, editor = docks(window, qtbot)

    def names() -> list[str]:
        return [row.name for row in editor.scenes()]

    click_scene(qtbot, scenes, "Be right back")
    scenes.buttons.rename.click()
    type_name(qtbot, scenes.list, "Back in 5")
    assert names()[-1] == "Back in 5"

    scenes.buttons.rename.click()  # an empty name is refused, the old one stays
    type_name(qtbot, scenes.list, "   ")
    assert names()[-1] == "Back in 5"
    qtbot.waitUntil(
        lambda: any(t.title == "Scene not renamed" for t in window.findChildren(Toast)),
        timeout=15_000,
    )

    scenes.buttons.up.click()
    assert names() == ["Camera", "Screen + camera", "Back in 5", "Starting soon"]
    assert scenes.list.currentItem().text() == "Back in 5"

    scenes.buttons.duplicate.click()
    type_name(qtbot, scenes.list, "Back in 10")
    assert names() == ["Camera", "Screen + camera", "Back in 5", "Back in 10", "Starting soon"]
    original = collection(editor).scene_named("Back in 5")
    copy = collection(editor).scene_named("Back in 10")
    assert [la.source_id for la in copy.layers] == [la.source_id for la in original.layers]

    click_scene(qtbot, scenes, "Back in 10")  # on air (what the list's buttons act on)
    with answering(False):  # asked first; "Cancel" keeps it
        scenes.buttons.remove.click()
    assert "Back in 10" in names()
    with answering(True) as asked:
        scenes.buttons.remove.click()
    assert "Back in 10" not in names() and "Back in 10" in asked[0].text
    assert editor.scene_name(editor.current_scene) == "Starting soon"  # the next one is on air
    assert scenes.list.currentItem().text() == "Starting soon"

    transition = scenes.transition
    transition.setCurrentIndex(transition.findText("Cut"))
    transition.activated.emit(transition.currentIndex())
    assert collection(editor).transition == "cut"

    # A vertical canvas, for viewers on phones: the preview's layer editor follows.
    canvas = scenes.canvas
    canvas.setCurrentIndex(canvas.findData("1080x1920"))
    canvas.activated.emit(canvas.currentIndex())
    assert collection(editor).size == (1080, 1920)
    area = overlay_of(window).canvas_rect()
    assert area.height() > area.width()


def test_layers_edited_in_the_sources_dock_and_on_the_preview(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, no_display: None
) -> None:
    window = studio(server.url)
    scenes, sources, editor = docks(window, qtbot)

    # Without an X11 display, screen capture says so and cannot be added.
    assert sources.capture_note.isVisible()
    assert "no X11 display" in sources.capture_note.text()
    menu = sources.buttons.add.menu()
    assert menu is not None
    screen_entry = next(a for a in menu.actions() if a.data() == "screen")
    assert not screen_entry.isEnabled() and "X11" in screen_entry.toolTip()

    click_scene(qtbot, scenes, "Starting soon")
    assert [row.name for row in editor.layers()] == ["Clock", "Starting soon", "Backdrop"]

    # Rename in place, reorder, duplicate.
    click_layer(qtbot, sources, "Clock")
    sources.buttons.rename.click()
    type_name(qtbot, sources.list, "Time")
    assert editor.layers()[0].name == "Time"
    sources.buttons.down.click()
    assert [row.name for row in editor.layers()] == ["Starting soon", "Time", "Backdrop"]
    sources.buttons.up.click()
    sources.buttons.duplicate.click()
    rows = editor.layers()
    assert [row.name for row in rows] == ["Time", "Time", "Starting soon", "Backdrop"]
    copy = rows[0]
    assert editor.selected == copy.key
    assert transform(editor, copy.key).x > transform(editor, rows[1].key).x
    with answering(True):
        sources.buttons.remove.click()
    assert [row.name for row in editor.layers()] == ["Time", "Starting soon", "Backdrop"]

    # The properties panel is built from the source's declared parameters and edits them.
    click_layer(qtbot, sources, "Starting soon")
    words = sources.controls["text"]
    assert isinstance(words, TextControl) and words.edit.text() == "Starting soon"
    words.edit.setText("Live at 8")
    words.edit.editingFinished.emit()
    source = collection(editor).source(
        collection(editor).scene(editor.current_scene).layers[1].source_id
    )
    assert source.values["text"] == "Live at 8"
    size = sources.controls["size"]
    assert isinstance(size, NumberControl)
    size.slider.setValue(size.slider.maximum())
    assert collection(editor).source(source.id).values["size"] == 400

    # Hidden: not on the preview's editor; locked: selected but never moved.
    overlay = overlay_of(window)
    click_layer(qtbot, sources, "Time", SHOWN)
    time_key = layer_item(sources, "Time").data(NAME, Qt.ItemDataRole.UserRole)
    assert time_key not in [b.key for b in editor.boxes()]
    click_layer(qtbot, sources, "Time", SHOWN)
    click_layer(qtbot, sources, "Starting soon", LOCKED)
    title = layer_item(sources, "Starting soon").data(NAME, Qt.ItemDataRole.UserRole)
    before = transform(editor, title)
    centre = (
        overlay.to_screen(next(b.box for b in editor.boxes() if b.key == title)).center().toPoint()
    )
    drag(qtbot, overlay, centre, centre + QPoint(60, 40))
    assert editor.selected == title and transform(editor, title) == before
    qtbot.keyClick(overlay, Qt.Key.Key_Right)
    assert transform(editor, title) == before

    assert not sources.placement.isEnabled()  # nor typed in

    # Unlocked, arrow keys nudge it: one pixel, ten with Shift; the numbers follow.
    click_layer(qtbot, sources, "Starting soon", LOCKED)
    overlay.setFocus()
    qtbot.keyClick(overlay, Qt.Key.Key_Right)
    qtbot.keyClick(overlay, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert transform(editor, title) == before.moved(1, 10)
    numbers = sources.placement.numbers
    assert (numbers["x"].value(), numbers["y"].value()) == (before.x + 1, before.y + 10)

    # What the handles do not do, typed: crop, rotation, fitting inside the box.
    assert sources.placement.isEnabled()
    numbers["crop_left"].setValue(12)
    numbers["rotation"].setValue(-15)
    sources.placement.fit.setChecked(False)
    placed = transform(editor, title)
    assert (placed.crop_left, placed.rotation, placed.keep_aspect) == (12, -15.0, False)


def test_a_layer_that_cannot_show_its_source_says_why_in_the_list(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, no_display: None, tmp_path: Path
) -> None:
    window = studio(server.url)
    scenes, sources, _ = docks(window, qtbot)
    click_scene(qtbot, scenes, "Camera")
    add_source(sources, "image")
    path = sources.controls["path"]
    assert isinstance(path, TextControl)
    missing = tmp_path / "logo.png"
    path.edit.setText(str(missing))
    path.edit.editingFinished.emit()

    def image_row() -> QTreeWidgetItem:
        return layer_item(sources, "Image")

    qtbot.waitUntil(lambda: "Image file not found" in image_row().toolTip(NAME), timeout=WAIT)
    assert str(missing) in image_row().toolTip(NAME)
    assert image_row().foreground(NAME).color() == QColor(theme.WARNING)

    def camera_is_fine() -> bool:  # "Waiting for the camera…" until its first frame
        return layer_item(sources, "Camera").foreground(NAME).color() != QColor(theme.WARNING)

    qtbot.waitUntil(camera_is_fine, timeout=WAIT)
    assert "Image file not found" in image_row().toolTip(NAME)


def test_the_placement_form_covers_every_transform_field() -> None:
    assert set(NUMBERS) | {KEEP_ASPECT} == {field.name for field in fields(Transform)}


def added_to_be_right_back(
    kind: str, server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> tuple[MainWindow, SourcesPanel, SceneEditor]:
    """A signed-in studio with a new source of ``kind`` on top of "Be right back"."""
    window = studio(server.url, make_account(server.url))
    scenes, sources, editor = docks(window, qtbot)
    click_scene(qtbot, scenes, "Be right back")
    add_source(sources, kind)
    return window, sources, editor


def test_a_turned_layer_is_grabbed_and_resized_where_it_shows_on_the_preview(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window, sources, editor = added_to_be_right_back("color", server, studio, qtbot)
    key = editor.selected
    assert key is not None
    sources.placement.numbers["rotation"].setValue(90)  # typed in the placement form
    start = transform(editor, key)
    assert (start.width, start.height, start.rotation) == (640, 360, 90.0)
    overlay = overlay_of(window)

    def at(x: float, y: float) -> QPoint:
        QApplication.processEvents()  # the docks' layout follows the selection: so does the
        return overlay.point_to_screen(x, y).toPoint()  # preview's size

    pixel = 1280 / overlay.canvas_rect().width()  # canvas pixels a screen pixel covers

    def centre() -> tuple[float, float]:
        placed = transform(editor, key)
        return placed.x + placed.width / 2, placed.y + placed.height / 2

    # It shows 360 wide and 640 tall about its centre. Beside it, where it was before
    # turning, a press selects the layer underneath.
    cx, cy = centre()
    qtbot.mouseClick(overlay, Qt.MouseButton.LeftButton, pos=at(cx + 280, cy))
    assert editor.selected != key
    # Above its centre, where only the turned box shows: the press grabs it and drags it.
    drag(qtbot, overlay, at(cx, cy - 250), at(cx + 60, cy - 250))
    assert editor.selected == key
    moved = transform(editor, key)
    assert (moved.x - start.x, moved.y - start.y) == pytest.approx((60, 0), abs=2 * pixel)

    # Its right-hand handle shows at the bottom, with an up-down cursor; pulled up by 100,
    # the box gets 100 shorter along its side and its top end stays where it was.
    cx, cy = centre()
    bottom = at(cx, cy + 320)
    qtbot.mouseMove(overlay, bottom)
    assert overlay.cursor().shape() == Qt.CursorShape.SizeVerCursor
    drag(qtbot, overlay, bottom, at(cx, cy + 220))
    shorter = transform(editor, key)
    assert (shorter.height, shorter.rotation) == (360, 90.0)
    assert shorter.width == pytest.approx(540, abs=2 * pixel)
    top_end = centre()[1] - shorter.width / 2
    assert top_end == pytest.approx(cy - 320, abs=1)


@pytest.mark.usefixtures("driven_window")  # first: the X11 screen outlives the studio
def test_a_window_capture_offers_the_open_windows_by_title(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    _, sources, editor = added_to_be_right_back("window", server, studio, qtbot)
    row = editor.layers()[0]
    assert row.kind_label == "Window capture"
    qtbot.waitUntil(lambda: "no window is chosen" in editor.layers()[0].problem, timeout=WAIT)

    picker = sources.controls["window"]
    assert isinstance(picker, ChoiceControl)
    titles = [picker.box.itemText(i) for i in range(picker.box.count())]
    assert titles[0] == picker.box.currentText() == ""  # nothing chosen yet
    assert WINDOW_TITLE in titles  # as the window calls itself, not re-capitalised
    picker.box.setCurrentIndex(picker.box.findData(WINDOW_TITLE))
    picker.box.activated.emit(picker.box.currentIndex())
    source = collection(editor).source(
        collection(editor).scene(editor.current_scene).layer(row.key).source_id
    )
    assert source.values["window"] == WINDOW_TITLE
    qtbot.waitUntil(lambda: editor.layers()[0].problem == "", timeout=WAIT)  # it shows it
