"""``onair studio``: the desktop app's entry point (QApplication + qasync loop + main window)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence

import qasync
from PySide6.QtCore import QLockFile, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.core.broadcast import Broadcast
from studio.core.crash import CrashReporter
from studio.core.profiles import Profile, ProfileError
from studio.core.session import Session
from studio.core.settings_store import SettingsStore
from studio.ui import notices, theme
from studio.ui.main_window import MainWindow
from studio.ui.panels import add_panels
from studio.ui.profile_menu import add_profile_menu


def qt_application(argv: Sequence[str] = ()) -> QApplication:
    """The QApplication, themed. OpenCV points Qt at its own plugins; undo that first."""
    os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv) or ["onair-studio"])
    app.setApplicationName("OnAir Studio")
    app.setOrganizationName("OnAir")
    app.setQuitOnLastWindowClosed(False)  # main() shuts the session down, then quits
    theme.apply(app)
    return app


def build_window(
    backend: str | None = None,
    store: SettingsStore | None = None,
    profile: Profile | None = None,
    reporter: CrashReporter | None = None,
) -> MainWindow:
    """A main window with every panel, for ``backend`` (default: the remembered one), in
    ``profile`` (default: the default one); ``reporter`` learns the settings it summarises."""
    profile = profile or Profile()
    store = store or SettingsStore(profile.config_dir)
    settings = store.load()
    if backend:
        backend = backend.rstrip("/")
        if backend != settings.backend_url:
            settings.backend_url, settings.token = backend, ""
    window = MainWindow(Session(store, settings), Broadcast(), profile)
    add_panels(window)
    add_profile_menu(window)
    window.restore_layout()
    if store.set_aside is not None:
        notices.settings_set_aside(window, store.set_aside)
    if reporter is not None:
        reporter.settings = settings
        reporter.report_previous_run()
        notices.report_now(window, reporter)
    return window


def close_on_interrupt(window: MainWindow, loop: asyncio.AbstractEventLoop) -> None:
    """Ctrl-C in the terminal closes the window as its close button does (asking first when
    something would end); the backend `onair run` started, in a session of its own, stops
    with the studio."""
    signal.signal(signal.SIGINT, lambda _signum, _frame: loop.call_soon_threadsafe(window.close))


def lock_profile(profile: Profile) -> QLockFile | None:
    """Hold ``profile`` for this process (two studios in one profile would write over each
    other's settings and log); None when another running studio holds it. A lock left by a
    studio that died is taken over."""
    profile.config_dir.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(profile.config_dir / "studio.lock"))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however old
    return lock if lock.tryLock(500) else None


def _say_profile_is_open(profile: Profile) -> None:
    text = (
        f"The profile “{profile.name}” is already open in another OnAir Studio window. "
        "Use that window, or open another profile (onair studio --profile NAME)."
    )
    print(f"onair studio: {text}", file=sys.stderr, flush=True)
    qt_application(sys.argv[:1])
    box = QMessageBox(QMessageBox.Icon.Information, "OnAir Studio", text)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onair studio", description=__doc__)
    parser.add_argument("--backend", default=None, help="backend URL (default: the last one)")
    parser.add_argument(
        "--profile",
        default=None,
        help="keep this profile's sign-in and settings apart (default: the default profile)",
    )
    args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    try:
        profile = Profile.named(args.profile)
    except ProfileError as exc:
        parser.error(str(exc))
    lock = lock_profile(profile)
    if lock is None:
        _say_profile_is_open(profile)
        return 1
    reporter = CrashReporter(profile)
    reporter.start()
    app = qt_application(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    loop.set_exception_handler(reporter.handle_loop_exception)
    asyncio.set_event_loop(loop)
    window = build_window(args.backend, profile=profile, reporter=reporter)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    window.start()
    close_on_interrupt(window, loop)
    notices.offer_crash_reports(window, reporter)

    async def run() -> None:
        await closed.wait()
        await window.shutdown()

    with loop:
        loop.run_until_complete(run())
    lock.unlock()
    return 0
