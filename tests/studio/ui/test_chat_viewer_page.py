"""The Chat dock and the real viewer page together: a message a moderator deletes in the
studio disappears from the page a viewer has open in Debian's Chromium."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from pytestqt.qtbot import QtBot

from tests.e2e.viewer_helpers import chromium, open_viewer
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory
from tests.studio.ui.test_chat_panel import WAIT, accounts, lines, open_chat, say, select

PAGE_WAIT_MS = 20_000


@dataclass
class ViewerPage:
    """/watch/{stream} open in Chromium, driven from a thread with its own asyncio loop (the
    test's thread runs Qt's): it waits for ``text`` to show, then for it to go."""

    base_url: str
    stream: str
    token: str
    text: str
    showing: threading.Event = field(default_factory=threading.Event)
    gone: threading.Event = field(default_factory=threading.Event)
    problems: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # the page's chat lines once ``text`` went

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=lambda: asyncio.run(self._watch()), daemon=True)
        thread.start()
        return thread

    async def _watch(self) -> None:
        try:
            async with chromium() as browser:
                viewer = await open_viewer(browser, self.base_url, self.stream, token=self.token)
                line = viewer.page.locator(".chat-text", has_text=self.text)
                await line.wait_for(timeout=PAGE_WAIT_MS)
                self.showing.set()
                await line.wait_for(state="detached", timeout=PAGE_WAIT_MS)
                self.left = await viewer.page.locator(".chat-text").all_text_contents()
                self.problems += viewer.errors
                self.gone.set()
        except Exception as exc:  # the test's thread reports it
            self.problems.append(repr(exc))
            self.showing.set()


def test_a_message_deleted_in_the_studio_disappears_from_the_viewer_page(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice, bob, viewer = accounts(server, "Alice Live", "Bob Viewer", "Quiet Viewer")
    host = open_chat(studio, server, alice, qtbot)
    say(server, bob, alice.username, "nice stream")
    say(server, bob, alice.username, "buy followers at spam dot example")
    page = ViewerPage(server.url, alice.username, viewer.token, "buy followers")
    watching = page.start()
    qtbot.waitUntil(page.showing.is_set, timeout=PAGE_WAIT_MS + WAIT)
    assert page.problems == []

    qtbot.waitUntil(lambda: any("buy followers" in line for line in lines(host)), timeout=WAIT)
    select(host, "buy followers")
    host.chat_page.delete.click()

    qtbot.waitUntil(page.gone.is_set, timeout=PAGE_WAIT_MS + WAIT)
    watching.join(timeout=WAIT / 1000)
    assert page.problems == []
    assert "nice stream" in page.left  # only that message went
    assert not any("buy followers" in line for line in lines(host))
    assert any("nice stream" in line for line in lines(host))
