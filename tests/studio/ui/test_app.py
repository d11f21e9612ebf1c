"""The studio application: Ctrl-C in the terminal it runs from."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
import qasync
from pytestqt.qtbot import QtBot

from studio.ui.app import close_on_interrupt
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, go_live, make_account
from tests.studio.ui.dialogs import answering

WAIT = 15_000


@pytest.fixture
def interrupt_handler_restored() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("interrupt_handler_restored")
def test_ctrl_c_closes_the_window_asking_first_while_live(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, loop: qasync.QEventLoop
) -> None:
    window = studio(server.url, make_account(server.url))
    close_on_interrupt(window, loop)
    button = go_live(window, qtbot)

    with answering(False) as asked:
        os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: len(asked) == 1, timeout=WAIT)
    assert asked[0].title == "Quit OnAir Studio" and "You're live" in asked[0].text
    assert window.isVisible() and button.live  # kept: the question was declined

    with answering(True):
        os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
