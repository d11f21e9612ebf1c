"""The Gifts dock counts the current live's gift income and top gifters from real gifts."""

from __future__ import annotations

import httpx
from pytestqt.qtbot import QtBot

from studio.ui.main_window import MainWindow
from studio.ui.panels.gifts import GiftsPanel
from tests.helpers_media import loopback_ice  # noqa: F401
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, go_live, make_account
from tests.studio.ui.dialogs import answering

WAIT = 15_000


def gifts_panel(window: MainWindow) -> GiftsPanel:
    panel = window.docks["gifts"].widget()
    assert isinstance(panel, GiftsPanel)
    return panel


def gifters(panel: GiftsPanel) -> list[str]:
    return [panel.gifters.item(row).text() for row in range(panel.gifters.count())]


def test_gift_income_and_top_gifters_of_the_current_live(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    streamer = make_account(server.url, display="Gwen Live")
    earlier = make_account(server.url, coins=500, display="Before Live")
    big = make_account(server.url, coins=1_000, display="Big <b>Fan</b>")
    small = make_account(server.url, coins=100, display="Small Fan")
    gift = f"/api/streams/{streamer.username}/gift"
    offline = httpx.post(  # before this live: refused, nothing counts
        server.url + gift,
        json={"giftId": "crown"},
        headers={"Authorization": f"Bearer {earlier.token}"},
    )
    assert offline.json()["error"]["code"] == "stream_offline"

    window = studio(server.url, streamer)
    panel = gifts_panel(window)
    qtbot.waitUntil(lambda: panel.state is not None, timeout=WAIT)
    assert panel.detail.text() == "Go live to count this live's gifts."

    button = go_live(window, qtbot)
    qtbot.waitUntil(
        lambda: panel.state is not None and panel.state.income is not None, timeout=WAIT
    )
    assert panel.total.text() == "0 coins" and panel.heading.text() == "THIS LIVE"

    small.call(server.url, "POST", gift, json={"giftId": "star", "quantity": 3})
    big.call(server.url, "POST", gift, json={"giftId": "rocket"})
    qtbot.waitUntil(lambda: panel.total.text() == "229 coins", timeout=WAIT)
    assert panel.detail.text().startswith("4 gifts since ")
    assert gifters(panel) == ["🥇  Big <b>Fan</b>   199 coins", "🥈  Small Fan   30 coins"]
    assert panel.gifters.item(0).toolTip() != ""  # the login, as plain text

    with answering(True):  # end the live: its numbers stay, as the last live's
        button.click()
    qtbot.waitUntil(lambda: panel.heading.text() == "LAST LIVE", timeout=WAIT)
    assert panel.total.text() == "229 coins"
