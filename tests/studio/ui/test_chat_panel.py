"""The Chat dock against the real backend: live messages, moderation that reaches every
client, the room's rules, the queue, the log, the on-stream overlay, text shown as text."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from pytestqt.qtbot import QtBot

from filters.video.chat_overlay import ChatOverlay
from studio.core.events import LinkState
from studio.ui.main_window import MainWindow
from studio.ui.panels.chat import ChatPanel
from tests.backend.api_helpers import Listener
from tests.servers import LiveServer
from tests.studio.ui.conftest import Account, StudioFactory, make_account
from tests.studio.ui.dialogs import answering
from tests.studio.ui.user_text_check import scan
from wire.events import chat_mod_room, stream_room

WAIT = 15_000
WAITING = {"timeout": WAIT}


def chat_panel(window: MainWindow) -> ChatPanel:
    panel = window.docks["chat"].widget()
    assert isinstance(panel, ChatPanel)
    return panel


def say(server: LiveServer, who: Account, stream: str, text: str) -> dict[str, Any]:
    sent = who.call(server.url, "POST", f"/api/streams/{stream}/chat", json={"text": text})
    assert isinstance(sent, dict)
    return dict(sent["message"])


def lines(panel: ChatPanel) -> list[str]:
    listing = panel.chat_page.messages
    return [listing.item(row).text() for row in range(listing.count())]


def select(panel: ChatPanel, text: str) -> None:
    listing = panel.chat_page.messages
    row = next(r for r in range(listing.count()) if text in listing.item(r).text())
    listing.setCurrentRow(row)


def accounts(server: LiveServer, *names: str) -> list[Account]:
    """A signed-up account for each display name."""
    return [make_account(server.url, display=name) for name in names]


def open_chat(studio: StudioFactory, server: LiveServer, who: Account, qtbot: QtBot) -> ChatPanel:
    """``who``'s studio, its Chat dock ready on their own chat."""
    panel = chat_panel(studio(server.url, who))
    ready(panel, qtbot)
    return panel


def ready(panel: ChatPanel, qtbot: QtBot) -> None:
    """The dock has loaded its chat and is in the stream's room."""
    qtbot.waitUntil(lambda: panel.state is not None and panel.state.viewer is not None, **WAITING)
    qtbot.waitUntil(lambda: bool(panel.joined), timeout=WAIT)
    qtbot.waitUntil(
        lambda: (
            (events := panel.account.events) is not None and events.state is LinkState.CONNECTED
        ),
        timeout=WAIT,
    )


async def watch_for_deletion(ws_url: str, token: str, stream: str, seen: asyncio.Event) -> str:
    """A second client in the stream's room: the id of the first message deleted."""
    async with Listener(ws_url, token) as listener:
        await listener.join(stream_room(stream))
        seen.set()
        event = await listener.wait_for("chat:deleted", timeout=20)
        return str(event["data"]["messageId"])


def test_a_moderator_deletes_a_message_and_it_is_gone_for_everyone(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice, carol, bob, viewer = accounts(
        server, "Alice Live", "Carol Mod", "Bob Viewer", "Quiet Viewer"
    )
    host = open_chat(studio, server, alice, qtbot)

    # Carol writes; the streamer makes her a moderator from her message.
    say(server, carol, alice.username, "happy to help moderate")
    qtbot.waitUntil(lambda: any("happy to help" in line for line in lines(host)), timeout=WAIT)
    select(host, "happy to help")
    assert host.chat_page.moderator.isEnabled()
    host.chat_page.moderator.click()
    qtbot.waitUntil(lambda: host.state is not None and host.state.is_moderator(carol.id), **WAITING)
    assert host.settings_page.moderators.count() == 1

    # Carol opens Alice's chat in her own studio, by the stream's name.
    mod = chat_panel(studio(server.url, carol))
    ready(mod, qtbot)
    mod.open(alice.username)
    qtbot.waitUntil(lambda: mod.state is not None and mod.state.moderates, timeout=WAIT)
    qtbot.waitUntil(lambda: chat_mod_room(alice.username) in mod.joined, timeout=WAIT)

    # A viewer's page is another client; Bob writes something that has to go.
    listening = asyncio.Event()
    watcher = asyncio.ensure_future(
        watch_for_deletion(server.ws_url, viewer.token, alice.username, listening)
    )
    qtbot.waitUntil(listening.is_set, timeout=WAIT)
    spam = say(server, bob, alice.username, "buy followers at spam dot example")
    qtbot.waitUntil(lambda: any("buy followers" in line for line in lines(mod)), timeout=WAIT)
    select(mod, "buy followers")
    mod.chat_page.delete.click()

    qtbot.waitUntil(watcher.done, timeout=WAIT)
    assert watcher.result() == spam["id"]  # gone for the other client at once
    history = viewer.call(server.url, "GET", f"/api/streams/{alice.username}/chat")
    assert isinstance(history, dict)
    assert spam["id"] not in [m["id"] for m in history["messages"]]  # and for a late joiner
    for panel in (mod, host):
        qtbot.waitUntil(lambda p=panel: not any("buy followers" in x for x in lines(p)), **WAITING)  # type: ignore[misc]

    # Both see who did what in the log.
    qtbot.waitUntil(lambda: host.log.count() >= 2, timeout=WAIT)
    log = [host.log.item(row).text() for row in range(host.log.count())]
    assert any("Carol Mod deleted a message of Bob Viewer" in line for line in log), log
    assert any("made a moderator: Carol Mod" in line for line in log), log


def test_pin_time_out_ban_rules_queue_and_the_overlay(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice = make_account(server.url, display="Alice Live")
    bob = make_account(server.url, display="Bob Viewer")
    eve = make_account(server.url, display="Eve")
    window = studio(server.url, alice)
    host = chat_panel(window)
    ready(host, qtbot)
    window.broadcast.chain.set_enabled("overlay.chat", True)
    overlay = window.broadcast.chain.effect("overlay.chat")
    assert isinstance(overlay, ChatOverlay)

    hello = say(server, bob, alice.username, "hello from Lisbon")
    qtbot.waitUntil(lambda: ("Bob Viewer", "hello from Lisbon") in overlay.lines, timeout=WAIT)

    # Pin, then time out and ban from the message; the writers are told in words.
    select(host, "hello from Lisbon")
    host.chat_page.pin.click()
    qtbot.waitUntil(lambda: host.chat_page.pinned_card.isVisible(), timeout=WAIT)
    assert "hello from Lisbon" in host.chat_page.pinned.text()
    select(host, "hello from Lisbon")
    five = next(a for a in host.chat_page.time_out.menu().actions() if a.text() == "5 min")
    five.trigger()
    qtbot.waitUntil(lambda: host.log.count() >= 2, timeout=WAIT)
    answer = httpx.post(  # a timed-out viewer is refused with the time left
        f"{server.url}/api/streams/{alice.username}/chat",
        json={"text": "am I still here?"},
        headers={"Authorization": f"Bearer {bob.token}"},
    )
    assert answer.status_code == 403 and "timed out" in answer.json()["error"]["message"]

    say(server, eve, alice.username, "you all are terrible")
    qtbot.waitUntil(lambda: any("terrible" in line for line in lines(host)), timeout=WAIT)
    select(host, "terrible")
    with answering(True):
        host.chat_page.ban.click()
    qtbot.waitUntil(lambda: any("banned Eve" in host.log.item(r).text()
                                for r in range(host.log.count())), timeout=WAIT)  # fmt: skip

    # Rules: slow mode and a blocked word held for review, saved from the Settings tab.
    page = host.settings_page
    page.slow.setValue(30)
    page.words.setPlainText("spoiler*")
    page.word_action.setCurrentIndex(page.word_action.findData("hold"))
    page.save.click()
    qtbot.waitUntil(lambda: any("settings saved" in m for m in window.toasts.messages), **WAITING)
    assert "Slow mode: one message per 30 s" in host.rules.text()
    carol = make_account(server.url, display="Carol")
    say(server, carol, alice.username, "SPOILERS: the hero wins")
    qtbot.waitUntil(lambda: host.queue_page.held.count() == 1, timeout=WAIT)
    assert host.tabs.tabText(1) == "Queue (1)"
    host.queue_page.approve.click()
    qtbot.waitUntil(lambda: any("the hero wins" in line for line in lines(host)), timeout=WAIT)
    assert host.queue_page.held.count() == 0

    # A report lands in the queue; removing it deletes the message.
    report = {"reason": "rude"}
    carol.call(
        server.url,
        "POST",
        f"/api/streams/{alice.username}/chat/messages/{hello['id']}/report",
        json=report,
    )
    qtbot.waitUntil(lambda: host.queue_page.reports.count() == 1, timeout=WAIT)
    assert "Carol reported (rude)" in host.queue_page.reports.item(0).text()
    host.queue_page.remove.click()
    qtbot.waitUntil(lambda: not any("Lisbon" in line for line in lines(host)), timeout=WAIT)
    qtbot.waitUntil(lambda: ("Bob Viewer", "hello from Lisbon") not in overlay.lines, timeout=WAIT)
    assert not host.chat_page.pinned_card.isVisible()  # the pinned message went with it

    # The streamer writes too; clearing empties the chat and the overlay.
    host.chat_page.input.setText("thanks for coming!")
    host.chat_page.send.click()
    qtbot.waitUntil(lambda: any("★ Alice Live: thanks" in x for x in lines(host)), timeout=WAIT)
    with answering(True):
        host.chat_page.clear.click()
    qtbot.waitUntil(lambda: host.chat_page.messages.count() == 0, timeout=WAIT)
    qtbot.waitUntil(lambda: overlay.lines == (), timeout=WAIT)


def may_write(server: LiveServer, who: Account, stream: str, text: str) -> int:
    answer = httpx.post(
        f"{server.url}/api/streams/{stream}/chat",
        json={"text": text},
        headers={"Authorization": f"Bearer {who.token}"},
    )
    return answer.status_code


def restricted(panel: ChatPanel) -> list[str]:
    listing = panel.queue_page.restricted
    return [listing.item(row).text() for row in range(listing.count())]


def test_the_queue_lists_bans_and_time_outs_and_lifts_them(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice, bob, eve = accounts(server, "Alice Live", "Bob Viewer", "Eve")
    chat = f"/api/streams/{alice.username}/chat"
    alice.call(server.url, "POST", f"{chat}/bans", json={"userId": eve.id})  # before the dock
    host = open_chat(studio, server, alice, qtbot)
    qtbot.waitUntil(lambda: restricted(host) == [f"Eve (@{eve.username}): banned"], **WAITING)

    # A time out from the dock joins the list with its time left, which counts down.
    say(server, bob, alice.username, "first!")
    qtbot.waitUntil(lambda: any("first!" in line for line in lines(host)), timeout=WAIT)
    select(host, "first!")
    five = next(a for a in host.chat_page.time_out.menu().actions() if a.text() == "5 min")
    five.trigger()
    qtbot.waitUntil(lambda: len(restricted(host)) == 2, timeout=WAIT)
    timed_out = restricted(host)[1]
    assert re.fullmatch(rf"Bob Viewer \(@{bob.username}\): timed out, (5:00|4:5\d) left", timed_out)
    qtbot.waitUntil(lambda: restricted(host)[1] != timed_out, timeout=3000)  # a second later
    assert may_write(server, bob, alice.username, "let me back") == 403

    # Lift the time out, then the ban: both may write again, and the log says who did it.
    queue = host.queue_page
    queue.restricted.setCurrentRow(1)
    assert queue.lift.text() == "Lift time out"
    queue.lift.click()
    qtbot.waitUntil(lambda: restricted(host) == [f"Eve (@{eve.username}): banned"], **WAITING)
    assert may_write(server, bob, alice.username, "thanks for lifting it") == 200
    queue.restricted.setCurrentRow(0)
    assert queue.lift.text() == "Unban"
    queue.lift.click()
    qtbot.waitUntil(lambda: restricted(host) == [], timeout=WAIT)
    assert not queue.lift.isEnabled()
    assert may_write(server, eve, alice.username, "sorry about before") == 200
    qtbot.waitUntil(lambda: host.log.count() >= 4, timeout=WAIT)
    log = [host.log.item(row).text() for row in range(host.log.count())]
    assert any("Alice Live lifted the time out of Bob Viewer" in line for line in log), log
    assert any("Alice Live lifted the ban of Eve" in line for line in log), log


def test_followers_only_from_the_settings_tab(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice, bob = accounts(server, "Alice Live", "Bob Viewer")
    host = open_chat(studio, server, alice, qtbot)
    page = host.settings_page
    assert page.members_only.text() == "Followers only"
    page.members_only.setChecked(True)
    page.save.click()
    qtbot.waitUntil(lambda: "Followers only" in host.rules.text(), timeout=WAIT)
    refused = httpx.post(
        f"{server.url}/api/streams/{alice.username}/chat",
        json={"text": "hi!"},
        headers={"Authorization": f"Bearer {bob.token}"},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        f"Only followers of {alice.username} can chat here. Follow {alice.username} to join in."
    )
    bob.call(server.url, "POST", f"/api/users/{alice.id}/follow")
    say(server, bob, alice.username, "a follower now")
    qtbot.waitUntil(lambda: any("a follower now" in line for line in lines(host)), **WAITING)
    host.chat_page.input.setText("welcome!")  # the streamer writes without following anyone
    host.chat_page.send.click()
    qtbot.waitUntil(lambda: any("Alice Live: welcome!" in x for x in lines(host)), **WAITING)


MARKUP_NAME = '<h1 style="color:red">Mod notice</h1>'
MARKUP_TEXT = "<b>FREE COINS</b> <font size=7 color=red>now</font> &amp; more"


def test_names_and_messages_in_the_chat_are_shown_as_text(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice = make_account(server.url, display="Alice Live")
    mallory = make_account(server.url, display=MARKUP_NAME)
    reporter = make_account(server.url)
    window = studio(server.url, alice)
    host = chat_panel(window)
    ready(host, qtbot)
    message = say(server, mallory, alice.username, MARKUP_TEXT)
    qtbot.waitUntil(lambda: host.chat_page.messages.count() == 1, timeout=WAIT)
    host.chat_page.messages.setCurrentRow(0)
    host.chat_page.pin.click()
    qtbot.waitUntil(lambda: host.chat_page.pinned_card.isVisible(), timeout=WAIT)
    reporter.call(
        server.url,
        "POST",
        f"/api/streams/{alice.username}/chat/messages/{message['id']}/report",
        json={"reason": "<i>spam</i>"},
    )
    qtbot.waitUntil(lambda: host.queue_page.reports.count() == 1, timeout=WAIT)
    findings = scan(window, (MARKUP_NAME, MARKUP_TEXT))
    assert findings.markup == []
    assert findings.missing((MARKUP_NAME, MARKUP_TEXT)) == set()
