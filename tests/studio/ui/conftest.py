"""Qt + qasync fixtures: one themed QApplication, an asyncio loop inside it, studio windows."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.exceptions import TimeoutError as QtTimeoutError
from pytestqt.qtbot import QtBot

from studio.core.profiles import Profile
from studio.core.publisher import PublisherState
from studio.core.settings_store import SettingsStore, StudioSettings
from studio.ui.app import build_window, qt_application
from studio.ui.go_live import GoLive
from studio.ui.main_window import MainWindow
from tests.studio.ui.dialogs import GO_LIVE, GoLiveAnswer, answering, no_question_left_open

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
PASSWORD = "correct horse"
MEASURED = {"1080p30": 40.0, "720p60": 18.0, "720p30": 18.0, "480p30": 8.0}
"""Every window starts as if this computer had been measured before (measuring costs seconds
of CPU a window): Auto then publishes 720p30, the sample clip's own size."""


@pytest.fixture(scope="session")
def qapp() -> QApplication:
    return qt_application()


@pytest.fixture(autouse=True)
def questions_are_answered(qapp: QApplication) -> Iterator[None]:
    """A question nobody answers fails its test instead of hanging the run."""
    with no_question_left_open():
        yield


@pytest.fixture(scope="session")
def qt_loop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """One asyncio loop driven by Qt's for the whole run (it runs whenever Qt does).

    Stopping a qasync loop quits the QApplication, so it is shared, not closed per test. Its
    default executor (DNS lookups of WebRTC, ...) is a plain thread pool shut down at the end:
    qasync's own is made of QThreads, which abort the process if still running at exit.
    """
    event_loop = qasync.QEventLoop(qapp, already_running=True)
    executor = ThreadPoolExecutor(4, thread_name_prefix="loop-default")
    event_loop.set_default_executor(executor)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    executor.shutdown(wait=True, cancel_futures=True)
    # ``already_running`` marks the loop running in this thread until the QApplication quits,
    # which it does not here: unmark it, or closing pytest-asyncio's package loop (the e2e
    # tests', at the end of the run) fails on "another loop is running".
    asyncio.events._set_running_loop(None)


@pytest.fixture
def loop(qt_loop: qasync.QEventLoop, qtbot: QtBot) -> Iterator[qasync.QEventLoop]:
    """The shared loop; tasks a test leaves behind are cancelled when it ends."""
    asyncio.set_event_loop(qt_loop)
    before = set(asyncio.all_tasks(qt_loop))
    yield qt_loop
    pending = [t for t in asyncio.all_tasks(qt_loop) if t not in before and not t.done()]
    for task in pending:
        task.cancel()
    try:
        qtbot.waitUntil(lambda: all(t.done() for t in pending), timeout=30_000)
    except QtTimeoutError as exc:  # name what did not stop, not just that something didn't
        stuck = "\n".join(repr(t) for t in pending if not t.done())
        raise TimeoutError(f"tasks still running 30 s after cancel:\n{stuck}") from exc


@dataclass
class Account:
    id: str
    username: str
    token: str

    def call(self, base_url: str, method: str, path: str, **kwargs: object) -> object:
        """A REST call as this user, outside the studio (the test's own client)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        response = httpx.request(method, base_url + path, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 300, response.text
        return response.json()["data"]


def make_account(base_url: str, coins: int = 0, display: str = "") -> Account:
    username = f"u{uuid.uuid4().hex[:10]}"
    body = {"username": username, "password": PASSWORD, "displayName": display or username}
    response = httpx.post(f"{base_url}/api/auth/register", json=body, timeout=10)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    account = Account(data["user"]["id"], username, data["token"])
    if coins:
        account.call(base_url, "POST", "/api/wallet/topup", json={"coins": coins})
    return account


StudioFactory = Callable[..., MainWindow]


def go_live_button(window: MainWindow) -> GoLive:
    button = window.toolbar.findChild(GoLive)
    assert isinstance(button, GoLive)
    return button


def go_live(
    window: MainWindow, qtbot: QtBot, timeout: int = 30_000, details: GoLiveAnswer = GO_LIVE
) -> GoLive:
    """Press the window's Go Live once its source is open and answer its question with
    ``details`` (the title and category filled in); returns the button once live."""
    button = go_live_button(window)
    qtbot.waitUntil(
        lambda: button.isEnabled() and window.broadcast.flow is not None, timeout=timeout
    )
    with answering(details):
        button.click()
    qtbot.waitUntil(
        lambda: button.publisher is not None and button.publisher.state is PublisherState.LIVE,
        timeout=timeout,
    )
    return button


@pytest.fixture
def studio(loop: qasync.QEventLoop, qtbot: QtBot, tmp_path: Path) -> Iterator[StudioFactory]:
    """Open studio windows: ``studio(backend_url, account=None, config=None, profile=None)``.

    With ``account`` the window starts signed in as that user; ``config`` names a settings
    directory to reuse (a second run of the app), otherwise each window gets a fresh one;
    ``profile`` opens that profile's own settings (under ``ONAIR_CONFIG_DIR``) instead.
    """
    windows: list[MainWindow] = []

    def open_window(
        backend_url: str,
        account: Account | None = None,
        config: str | None = None,
        profile: Profile | None = None,
    ) -> MainWindow:
        folder = profile.config_dir if profile else tmp_path / (config or f"config-{len(windows)}")
        store = SettingsStore(folder)
        if config is None or not store.path.exists():
            settings = StudioSettings(backend_url=backend_url, output_measured=dict(MEASURED))
            if account is not None:
                settings.username, settings.token = account.username, account.token
            store.save(settings)
        window = build_window(store=store, profile=profile)
        window.resize(1280, 800)
        window.show()
        window.start()
        windows.append(window)
        return window

    yield open_window
    for window in windows:
        window.end_guards.clear()  # the test is over: close without asking what to end
        if window.isVisible():
            window.close()
        task = asyncio.ensure_future(window.shutdown())
        qtbot.waitUntil(task.done, timeout=15_000)
        window.deleteLater()
