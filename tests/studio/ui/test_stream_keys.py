"""The studio's stream keys (Go live from OBS): the WHIP URL, a key shown once with Copy,
listed with its last use, regenerated and revoked after asking; against a real backend."""

from __future__ import annotations

import httpx
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from studio.ui.stream_keys import NEVER_USED, StreamKeysDialog
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, make_account
from tests.studio.ui.dialogs import answering


def whip_status(server: LiveServer, stream: str, key: str) -> int:
    answer = httpx.post(
        f"{server.url}/whip/{stream}",
        content="v=0\r\n",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"},
    )
    return answer.status_code


def test_make_copy_regenerate_and_revoke_a_stream_key(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    account = make_account(server.url)
    window = studio(server.url, account)
    qtbot.waitUntil(lambda: window.session.user is not None, timeout=10_000)
    window.open_stream_keys()
    dialog = window.findChild(StreamKeysDialog)
    assert dialog is not None
    assert dialog.server.text() == f"{server.url}/whip/{account.username}"
    qtbot.waitUntil(lambda: dialog.list.placeholder_shown, timeout=10_000)
    assert not dialog.revoke.isEnabled() and not dialog.new_key_box.isVisible()

    dialog.label.setText("OBS on the desktop")
    dialog.make.click()
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=10_000)
    first = dialog.new_key.text()
    assert first.startswith("onair_sk_") and dialog.new_key_box.isVisible()
    dialog.copy_key.click()
    assert QGuiApplication.clipboard().text() == first
    line = dialog.list.item(0).text()
    assert line.startswith("OBS on the desktop") and first[-4:] in line and NEVER_USED in line
    assert first not in line  # listed, never shown again
    dialog.grab().save("/tmp/stream-keys.png")
    whip_status(server, account.username, first)  # an encoder tried it (with a bad offer)
    window.tasks.spawn(dialog.refresh())
    qtbot.waitUntil(lambda: "last used 20" in dialog.list.item(0).text(), timeout=10_000)

    dialog.list.setCurrentRow(0)
    with answering(True) as asked:
        dialog.regenerate.click()
        qtbot.waitUntil(lambda: dialog.new_key.text() != first, timeout=10_000)
    assert asked[0].accept_label == "Regenerate"
    second = dialog.new_key.text()
    qtbot.waitUntil(lambda: second[-4:] in dialog.list.item(0).text(), timeout=10_000)
    assert dialog.list.count() == 1
    assert whip_status(server, account.username, first) == 403  # the old one is refused now

    dialog.list.setCurrentRow(0)
    with answering(False) as asked:  # the safe answer keeps it
        dialog.revoke.click()
        qtbot.waitUntil(lambda: len(asked) == 1, timeout=10_000)
    assert dialog.list.count() == 1
    with answering(True):
        dialog.revoke.click()
        qtbot.waitUntil(lambda: dialog.list.count() == 0, timeout=10_000)
    assert whip_status(server, account.username, second) == 403
    dialog.close()
