"""Shared widgets: placeholder lists, elided names, counted spin boxes, toast actions, the
confirmation dialog and the theme's arrows, each rendered offscreen and looked at."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QComboBox, QListWidget, QMainWindow, QSpinBox, QWidget
from pytestqt.qtbot import QtBot

from studio.ui import theme
from studio.ui.confirm import confirm
from studio.ui.toasts import Toast, ToastHost
from studio.ui.user_text import plain_tip
from studio.ui.widgets import CountSpin, ElidedLabel, PlaceholderList
from tests.studio.ui.dialogs import answering


def shown(qtbot: QtBot, widget: QWidget, width: int, height: int) -> QImage:
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget.grab().toImage()


def test_an_empty_list_says_what_would_be_in_it_until_it_has_items(qtbot: QtBot) -> None:
    empty = PlaceholderList("No orders yet.")
    plain = QListWidget()
    assert empty.placeholder_shown
    assert shown(qtbot, empty, 260, 120) != shown(qtbot, plain, 260, 120)  # text painted

    empty.addItem("Big Fan · 1× Moon lamp")
    plain.addItem("Big Fan · 1× Moon lamp")
    assert not empty.placeholder_shown
    assert empty.grab().toImage() == plain.grab().toImage()  # only the item, no placeholder

    empty.clear()
    assert empty.placeholder_shown and empty.grab().toImage() != plain.grab().toImage()


def test_a_long_name_ends_in_an_ellipsis_with_the_whole_name_in_its_tooltip(
    qtbot: QtBot,
) -> None:
    label = ElidedLabel("Bob the Builder Extraordinaire")
    shown(qtbot, label, 90, 24)
    assert label.shown().endswith("…") and label.shown() != label.text()
    assert label.toolTip() == plain_tip("Bob the Builder Extraordinaire")
    assert label.minimumSizeHint().width() < label.sizeHint().width()  # may be squeezed

    label.resize(400, 24)
    assert label.shown() == "Bob the Builder Extraordinaire" and label.toolTip() == ""
    label.setText("<b>Mia</b>")  # other people's text stays plain
    assert label.textFormat() == Qt.TextFormat.PlainText and label.shown() == "<b>Mia</b>"


def test_a_count_spin_box_names_its_unit_in_the_singular_for_one(qtbot: QtBot) -> None:
    price = CountSpin(1, 1_000, 100, "coin")
    qtbot.addWidget(price)
    assert price.text() == "100 coins"
    price.setValue(1)
    assert price.text() == "1 coin"
    price.setValue(2)
    assert price.text() == "2 coins"


def test_a_toast_action_runs_once_and_lets_the_toast_go(qtbot: QtBot) -> None:
    window = QMainWindow()
    window.setCentralWidget(QWidget())
    shown(qtbot, window, 800, 600)
    host = ToastHost(window)
    runs: list[str] = []
    toast = host.show_toast(
        "Applied “Glam” without premium effects", action=("Unlock…", lambda: runs.append("unlock"))
    )
    plain = host.show_toast("Saved")
    assert isinstance(toast, Toast) and toast.action is not None and plain.action is None
    assert toast.action.isVisible() and toast.action.text() == "Unlock…"
    toast.action.click()
    assert runs == ["unlock"] and toast.fading and not toast.action.isEnabled()
    toast.action.click()
    assert runs == ["unlock"]
    qtbot.waitUntil(lambda: toast not in window.findChildren(Toast), timeout=5_000)


def test_confirm_is_true_only_when_the_accept_button_is_pressed(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    with answering(True) as asked:
        assert confirm(parent, "Unlock", "Unlock Pastel for 20 coins?", "Unlock for 20 coins")
    assert [q.text for q in asked] == ["Unlock Pastel for 20 coins?"]
    with answering(False) as asked:
        assert not confirm(parent, "Unlock", "Unlock <b>Pastel</b>?", "Unlock")
    assert [q.text for q in asked] == ["Unlock <b>Pastel</b>?"]


def arrow_pixels(image: QImage, left: int, top: int, right: int, bottom: int) -> int:
    """Pixels of the theme's arrow colour (anti-aliased: close to it) in a box."""
    arrow = QColor(theme.ARROW)
    return sum(
        1
        for x in range(left, right)
        for y in range(top, bottom)
        if max(
            abs(image.pixelColor(x, y).red() - arrow.red()),
            abs(image.pixelColor(x, y).green() - arrow.green()),
            abs(image.pixelColor(x, y).blue() - arrow.blue()),
        )
        < 40
    )


def test_combo_boxes_show_an_arrow_and_spin_boxes_both_arrows_whole(qtbot: QtBot) -> None:
    combo = QComboBox()
    combo.addItems(["Sunglasses", "Crown"])
    image = shown(qtbot, combo, 200, combo.sizeHint().height())
    assert arrow_pixels(image, 200 - 26, 0, 200, image.height()) > 4

    spin = QSpinBox()
    spin.setValue(5)
    image = shown(qtbot, spin, 140, spin.sizeHint().height())
    middle = image.height() // 2
    up = arrow_pixels(image, 140 - 22, 0, 140, middle)
    down = arrow_pixels(image, 140 - 22, middle, 140, image.height())
    assert up > 4 and down > 4
    # whole, not clipped: the two arrows are mirror images of each other
    assert abs(up - down) <= max(up, down) // 3
