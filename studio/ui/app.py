"""``onair studio``: the desktop app's entry point (QApplication + qasync loop + main window)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

import qasync
from PySide6.QtWidgets import QApplication

from studio.core.session import Session
from studio.core.settings_store import SettingsStore
from studio.ui import theme
from studio.ui.main_window import MainWindow
from studio.ui.panels import add_panels


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


def build_window(backend: str | None = None, store: SettingsStore | None = None) -> MainWindow:
    """A main window with every panel, for ``backend`` (default: the remembered one)."""
    store = store or SettingsStore()
    settings = store.load()
    if backend:
        backend = backend.rstrip("/")
        if backend != settings.backend_url:
            settings.backend_url, settings.token = backend, ""
    window = MainWindow(Session(store, settings))
    add_panels(window)
    window.restore_layout()
    return window


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onair studio", description=__doc__)
    parser.add_argument("--backend", default=None, help="backend URL (default: the last one)")
    args = parser.parse_args(list(argv) if argv is not None else sys.argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = qt_application(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = build_window(args.backend)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    window.start()

    async def run() -> None:
        await closed.wait()
        await window.shutdown()

    with loop:
        loop.run_until_complete(run())
    return 0
