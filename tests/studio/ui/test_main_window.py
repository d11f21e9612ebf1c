"""The main window: signing in (remembered), the preview, state between runs, the banner."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from backend.settings import Settings
from studio.ui.main_window import MainWindow
from tests.servers import LiveServer, free_port, running_server
from tests.studio.ui.conftest import PASSWORD, StudioFactory, make_account

WAIT = 15_000


def _frames(window: MainWindow, more: int, qtbot: QtBot) -> None:
    target = window.preview.frames_shown + more
    qtbot.waitUntil(lambda: window.preview.frames_shown >= target, timeout=WAIT)


def test_create_an_account_and_resume_it_on_the_next_run(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    first = studio(server.url, config="me")
    qtbot.waitUntil(lambda: first.sign_in_dialog is not None, timeout=WAIT)
    dialog = first.sign_in_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.tabs.setCurrentIndex(1)
    assert dialog.submit.text() == "Create account"
    dialog.new_username.setText("nightowl")
    dialog.display_name.setText("Night Owl")
    dialog.new_password.setText("short")
    dialog.submit.click()
    qtbot.waitUntil(dialog.error.isVisible, timeout=WAIT)
    assert "8" in dialog.error.text()  # the backend's message, shown as is

    dialog.new_password.setText(PASSWORD)
    dialog.submit.click()
    qtbot.waitUntil(lambda: first.session.signed_in and not dialog.isVisible(), timeout=WAIT)
    assert first.account.text().startswith("Night Owl")
    assert any("Welcome, Night Owl" in m for m in first.toasts.messages)
    qtbot.waitUntil(lambda: first.link_label.text() == "● Connected", timeout=WAIT)
    first.close()

    second = studio(server.url, config="me")
    qtbot.waitUntil(lambda: second.session.signed_in, timeout=WAIT)
    assert second.session.user is not None and second.session.user.username == "nightowl"
    assert second.sign_in_dialog is None


def test_preview_before_after_source_and_layout_survive_a_restart(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window = studio(server.url, make_account(server.url), config="layout")
    qtbot.waitUntil(lambda: window.session.signed_in, timeout=WAIT)
    _frames(window, 5, qtbot)
    assert window.broadcast.spec == "sample"
    assert not window.preview.compare
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.compare_button.isChecked() and window.preview.compare
    _frames(window, 3, qtbot)

    dock = window.docks["pk"]
    window.removeDockWidget(dock)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    dock.show()
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)  # hide the panel
    assert dock.isHidden()
    window.close()

    again = studio(server.url, config="layout")
    _frames(again, 3, qtbot)
    assert again.compare_button.isChecked() and again.preview.compare
    assert again.dockWidgetArea(again.docks["pk"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert again.docks["pk"].isHidden()


def test_unreachable_backend_shows_a_banner_and_recovers(
    settings: Settings, studio: StudioFactory, qtbot: QtBot
) -> None:
    settings = settings.with_overrides(port=free_port())
    url = f"http://127.0.0.1:{settings.port}"
    window = studio(url)
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT)
    assert "Cannot reach the backend" in window.banner.message.text()
    _frames(window, 5, qtbot)  # the studio keeps working meanwhile
    assert window.sign_in_dialog is not None  # where the server address can be changed

    with running_server(settings):
        retry = window.banner.findChild(QPushButton)
        assert retry is not None
        retry.click()
        qtbot.waitUntil(lambda: window.banner.isHidden(), timeout=WAIT)
        dialog = window.sign_in_dialog
        assert dialog is not None
        dialog.tabs.setCurrentIndex(1)
        dialog.new_username.setText("comeback")
        dialog.new_password.setText(PASSWORD)
        dialog.submit.click()
        qtbot.waitUntil(lambda: window.session.signed_in, timeout=WAIT)
        window.close()


def test_the_docks_give_way_so_the_preview_keeps_half_a_small_window(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window = studio(server.url)
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.preview.width() >= 1280 * 0.45, timeout=WAIT)
    for dock in window.docks.values():
        if dock.isVisible():
            assert dock.width() >= dock.minimumSizeHint().width()
