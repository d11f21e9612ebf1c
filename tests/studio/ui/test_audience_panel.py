"""The Audience panel: followers arriving live, the title and category Go Live asks for (sent
as the live starts: on the home page and in the followers' notification), likes counted while
live."""

from __future__ import annotations

import httpx
from pytestqt.qtbot import QtBot

from studio.ui.main_window import MainWindow
from studio.ui.panels.audience import AudiencePanel
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, go_live, go_live_button, make_account
from tests.studio.ui.dialogs import GoLiveAnswer, answering

WAIT = 15_000


def audience_panel(window: MainWindow) -> AudiencePanel:
    panel = window.docks["audience"].widget()
    assert isinstance(panel, AudiencePanel)
    return panel


def test_followers_title_and_likes_reach_the_streamer(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    streamer = make_account(server.url, display="Mia Live")
    fan = make_account(server.url, display="<b>Noah</b>")
    window = studio(server.url, streamer)
    panel = audience_panel(window)
    qtbot.waitUntil(lambda: panel.followers.text() == "0 followers", timeout=WAIT)
    assert panel.recent.placeholder_shown

    fan.call(server.url, "POST", f"/api/users/{streamer.id}/follow")
    qtbot.waitUntil(lambda: panel.followers.text() == "1 follower", timeout=WAIT)
    assert panel.recent.item(0).text() == "<b>Noah</b>"  # a name, shown as typed

    entered = GoLiveAnswer(title="Morning pottery", category="Art")
    button = go_live(window, qtbot, WAIT, details=entered)
    assert (panel.title.text(), panel.category.currentText()) == ("Morning pottery", "Art")
    home = fan.call(server.url, "GET", "/api/discover")
    assert isinstance(home, dict)
    [card] = [s for s in home["live"] if s["stream"] == streamer.username]
    assert (card["title"], card["category"]) == ("Morning pottery", "Art")
    snapshot = fan.call(server.url, "GET", f"/api/streams/{streamer.username}")
    assert isinstance(snapshot, dict)
    assert (snapshot["title"], snapshot["category"]) == ("Morning pottery", "Art")
    inbox = fan.call(server.url, "GET", "/api/notifications")
    assert isinstance(inbox, dict)
    assert [n["title"] for n in inbox["notifications"]] == ["Morning pottery"]
    assert "Morning pottery" in panel.saved.text()

    response = httpx.post(
        f"{server.url}/api/streams/{streamer.username}/likes",
        json={"count": 12},
        headers={"Authorization": f"Bearer {fan.token}"},
    )
    assert response.status_code == 200, response.text
    qtbot.waitUntil(lambda: panel.likes.text() == "12", timeout=WAIT)
    assert panel.likes.accessibleName() == "12 likes this live"
    with answering(True):
        button.click()
    qtbot.waitUntil(lambda: button.publisher is None, timeout=WAIT)


def test_going_live_untitled_says_what_viewers_see(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    streamer = make_account(server.url, display="Mia Live")
    window = studio(server.url, streamer)
    panel = audience_panel(window)
    qtbot.waitUntil(lambda: panel.followers.text() == "0 followers", timeout=WAIT)
    with answering(GoLiveAnswer(go=False)) as asked:  # the question says what viewers see
        go_live_button(window).click()
    assert asked[0].title == "Go live" and asked[0].accept_label == "Go Live"
    assert asked[0].text.startswith("No title yet: viewers will see “Live with Mia Live”")
    assert not go_live_button(window).live  # cancelled: nothing started
    button = go_live(window, qtbot, WAIT)
    qtbot.waitUntil(lambda: "no title" in " ".join(window.toasts.messages), timeout=WAIT)
    assert any("Live with Mia Live" in m for m in window.toasts.messages)
    assert panel.saved.text() == "Viewers see “Live with Mia Live”."
    with answering(True):
        button.click()
    qtbot.waitUntil(lambda: button.publisher is None, timeout=WAIT)


def test_go_live_asks_with_the_last_title_until_told_not_to(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    streamer = make_account(server.url, display="Mia Live")
    last = {"title": "Sunday <i>baking</i>", "category": "Food"}
    streamer.call(server.url, "PUT", f"/api/streams/{streamer.username}/details", json=last)
    window = studio(server.url, streamer)
    panel = audience_panel(window)
    qtbot.waitUntil(lambda: panel.title.text() == last["title"], timeout=WAIT)

    keep = GoLiveAnswer(title="Monday bread", ask_every_time=False)
    button = go_live(window, qtbot, WAIT, details=keep)  # filled in with the last live's
    assert window.settings.ask_live_details is False
    discover = streamer.call(server.url, "GET", "/api/discover")
    assert isinstance(discover, dict)
    [card] = [s for s in discover["live"] if s["stream"] == streamer.username]
    assert (card["title"], card["category"]) == ("Monday bread", "Food")
    with answering(True):
        button.click()
    qtbot.waitUntil(lambda: button.publisher is None, timeout=WAIT)

    with answering():  # turned off, and the live has a title: Go Live starts at once
        button.click()
    qtbot.waitUntil(lambda: button.live, timeout=WAIT)
    with answering(True):
        button.click()
    qtbot.waitUntil(lambda: button.publisher is None, timeout=WAIT)

    panel.title.clear()  # ...but a live without a title is asked about again
    with answering(GoLiveAnswer(go=False)) as asked:
        button.click()
    assert asked[0].text.startswith("No title yet")
    assert not button.live
