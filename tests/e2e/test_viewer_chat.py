"""The viewer page's live chat in Debian's Chromium: messages between browsers, text stays
text, a scrolled-up reader keeps their place, the pinned message for a late joiner, a banned
viewer who keeps watching."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from playwright.async_api import APIResponse, Browser, Page, Route, WebSocket, expect

from tests.backend.api_helpers import ApiUser, register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import FRAMES_DECODED, PHONE, Viewer, open_viewer
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = pytest.mark.timeout(180)
PLAYING = "() => document.querySelector('.tile')?.dataset.state === 'playing'"
XSS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "<b>bold?</b> &amp;",
]


async def test_chat_between_two_browsers_as_text(server: LiveServer, chromium: Chromium) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        host, alice, bob = await register(client), await register(client), await register(client)
        first = await open_viewer(browser, server.url, host.username, token=alice.token)
        second = await open_viewer(browser, server.url, host.username, token=bob.token)
        guest = await open_viewer(browser, server.url, host.username, viewport=PHONE)
        for viewer in (first, second):
            await viewer.page.locator("#chat-form").wait_for()
        await first.page.fill("#chat-input", "hello from alice 👋")
        assert await first.page.text_content("#chat-count") == "18/300"
        await first.page.keyboard.press("Enter")
        for viewer in (second, guest):
            await viewer.page.locator(".chat-text", has_text="hello from alice 👋").wait_for()
        # A guest reads and is offered sign-in instead of an input.
        assert await guest.page.locator("#chat-form").is_hidden()
        await guest.page.get_by_role("button", name="Sign in to chat").click()
        assert await guest.page.locator("#auth-dialog").is_visible()
        for payload in XSS:
            await first.page.fill("#chat-input", payload)
            await first.page.keyboard.press("Enter")
            await expect(first.page.locator("#chat-input")).to_have_value("")  # sent
            await second.page.locator(".chat-text").filter(has_text=payload).wait_for()
        texts = await second.page.locator(".chat-text").all_text_contents()
        assert texts[-len(XSS) :] == XSS
        for viewer in (first, second, guest):
            assert (
                await viewer.page.locator(".chat-list img, .chat-list svg, .chat-list b").count()
                == 0
            )
            assert viewer.dialogs == [] and viewer.errors == []


async def test_a_message_written_while_the_page_connects_still_shows(
    server: LiveServer, chromium: Chromium
) -> None:
    """The history is read before the live connection has joined the room; a message written
    in between must not fall in the gap."""
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        host, alice = await register(client), await register(client)
        chat = f"/api/streams/{host.username}/chat"
        await alice.data("POST", chat, json={"text": "before the page"})
        ticket_asked: asyncio.Future[Route] = asyncio.get_running_loop().create_future()

        async def hold_the_connection(page: Page) -> None:
            async def hold(route: Route) -> None:
                if not ticket_asked.done():
                    ticket_asked.set_result(route)
                else:
                    await route.continue_()

            await page.route("**/api/ws-ticket", hold)

        viewer = await open_viewer(
            browser, server.url, host.username, before_load=hold_the_connection
        )
        await viewer.page.locator(".chat-text", has_text="before the page").wait_for()
        held = await ticket_asked
        await alice.data("POST", chat, json={"text": "while the page connects"})
        await held.continue_()
        await viewer.page.locator(".chat-text", has_text="while the page connects").wait_for()
        await alice.data("POST", chat, json={"text": "after the page joined"})
        await viewer.page.locator(".chat-text", has_text="after the page joined").wait_for()
        texts = await viewer.page.locator(".chat-text").all_text_contents()
        assert texts == ["before the page", "while the page connects", "after the page joined"]
        assert viewer.errors == []


async def test_a_message_deleted_while_the_history_is_on_its_way_stays_gone(
    server: LiveServer, chromium: Chromium
) -> None:
    """The history read again once the room is joined can have been read before a deletion
    that comes live while it is on its way: the page must not bring the message back."""
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        host, alice = await register(client), await register(client)
        chat = f"/api/streams/{host.username}/chat"
        await alice.data("POST", chat, json={"text": "keep me"})
        doomed = await alice.data("POST", chat, json={"text": "delete me"})
        loop = asyncio.get_running_loop()
        reread: asyncio.Future[tuple[Route, APIResponse]] = loop.create_future()
        deletion_came = asyncio.Event()
        reads = 0

        async def hold_the_reread(page: Page) -> None:
            async def hold(route: Route) -> None:
                nonlocal reads
                reads += 1
                if reads == 2:  # the re-read once the room is joined: read now, answered later
                    reread.set_result((route, await route.fetch()))
                else:
                    await route.continue_()

            def watch(socket: WebSocket) -> None:
                def frame(payload: str | bytes) -> None:
                    if "chat:deleted" in str(payload):
                        deletion_came.set()

                socket.on("framereceived", frame)

            page.on("websocket", watch)
            await page.route(re.compile(r"/api/streams/[^/]+/chat\?"), hold)

        viewer = await open_viewer(
            browser, server.url, host.username, token=alice.token, before_load=hold_the_reread
        )
        page = viewer.page
        await page.locator(".chat-text", has_text="delete me").wait_for()
        route, stale = await asyncio.wait_for(reread, 20)
        await host.data("DELETE", f"{chat}/messages/{doomed['message']['id']}")
        await asyncio.wait_for(deletion_came.wait(), 20)
        await page.locator(".chat-text", has_text="delete me").wait_for(state="detached")
        await page.locator(".chat-line", has_text="keep me").evaluate("el => el.dataset.old = 1")
        await route.fulfill(response=stale)
        await page.locator(".chat-line:not([data-old])", has_text="keep me").wait_for()
        assert await page.locator(".chat-text").all_text_contents() == ["keep me"]
        assert viewer.errors == []


async def reading_a_long_chat(
    client: httpx.AsyncClient, browser: Browser, server: LiveServer, lines: int
) -> tuple[ApiUser, ApiUser, Viewer, str]:
    """A host whose chat has ``lines`` lines and a signed-in reader whose page shows the last:
    (the host, the reader, the reader's page, the chat's path)."""
    host, reader = await register(client), await register(client)
    chat = f"/api/streams/{host.username}/chat"
    for i in range(lines):
        await host.data("POST", chat, json={"text": f"line {i}"})
    viewer = await open_viewer(browser, server.url, host.username, token=reader.token)
    await viewer.page.locator(".chat-text", has_text=f"line {lines - 1}").wait_for()
    return host, reader, viewer, chat


async def test_scrolled_up_reader_is_not_yanked_and_pinned_shows_for_late_joiner(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        host, alice, reader, chat = await reading_a_long_chat(client, browser, server, 60)
        page = reader.page
        await page.eval_on_selector("#chat-scroll", "el => { el.scrollTop = 200; }")
        await page.wait_for_timeout(300)  # let a history page (scrolled near the top) settle
        before = await page.eval_on_selector("#chat-scroll", "el => el.scrollTop")
        for i in range(3):
            await host.data("POST", chat, json={"text": f"new {i}"})
        await page.get_by_role("button", name="3 new messages ↓").wait_for()
        assert await page.eval_on_selector("#chat-scroll", "el => el.scrollTop") == before
        await page.get_by_role("button", name="3 new messages ↓").click()
        assert await page.locator("#chat-new").is_hidden()
        # History loads on scrolling up: the first lines arrive.
        await page.eval_on_selector("#chat-scroll", "el => { el.scrollTop = 0; }")
        await page.locator(".chat-text", has_text="line 0").first.wait_for()

        sent = await alice.data("POST", chat, json={"text": "remember the giveaway"})
        await host.data("POST", f"{chat}/pin", json={"messageId": sent["message"]["id"]})
        await page.locator("#chat-pinned-text", has_text="remember the giveaway").wait_for()
        late = await open_viewer(browser, server.url, host.username)
        await late.page.locator("#chat-pinned-text", has_text="remember the giveaway").wait_for()
        # Timed out: the input says so, with the time left, and the message stays unsent.
        await host.data("POST", f"{chat}/timeouts", json={"userId": alice.id, "minutes": 5})
        await expect(page.locator("#chat-input")).to_be_disabled()
        placeholder = await page.get_attribute("#chat-input", "placeholder")
        assert re.fullmatch(r"You are timed out for (5:00|4:5\d)\.", placeholder or "")
        assert await page.text_content("#chat-status") == placeholder
        assert reader.errors == [] and late.errors == []


async def test_a_reader_scrolled_up_keeps_their_place_when_the_chat_is_read_again(
    server: LiveServer, chromium: Chromium
) -> None:
    """The history is read again on every rejoin and when who may write changes; a reader
    scrolled up to an older message must not be thrown to the bottom by it."""
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        host, _, viewer, chat = await reading_a_long_chat(client, browser, server, 30)
        page = viewer.page
        await page.wait_for_timeout(300)  # the re-read once the room is joined, settled
        await page.eval_on_selector("#chat-scroll", "el => { el.scrollTop = 200; }")
        await host.data("PATCH", f"{chat}/settings", json={"membersOnly": True})  # read again
        await expect(page.locator("#chat-input")).to_be_disabled()  # ... and landed
        assert await page.eval_on_selector("#chat-scroll", "el => el.scrollTop") == 200
        assert viewer.errors == []


async def test_a_viewer_reports_a_message_with_the_keyboard(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        host, alice, bob = await register(client), await register(client), await register(client)
        chat = f"/api/streams/{host.username}/chat"
        await alice.data("POST", chat, json={"text": "first"})
        await alice.data("POST", chat, json={"text": "rude words"})
        await bob.data("POST", chat, json={"text": "my own"})  # no report button on your own
        viewer = await open_viewer(browser, server.url, host.username, token=bob.token)
        page = viewer.page
        await page.locator(".chat-text", has_text="my own").wait_for()
        await page.focus("#chat-scroll")
        await page.keyboard.press("Enter")
        focused = await page.evaluate("() => document.activeElement.getAttribute('aria-label')")
        assert focused == f"Report message from {alice.username}"
        await page.keyboard.press("Enter")  # "Report this?"
        # The list is read again meanwhile (here: the rules of who may write changed; a follow,
        # a reconnection do the same): the new list's button keeps the focus and the question.
        asking = await page.evaluate_handle("() => document.activeElement")
        await host.data("PATCH", f"{chat}/settings", json={"minAccountAgeMinutes": 5})
        await page.wait_for_function("button => !button.isConnected", arg=asking)
        assert await page.evaluate("() => document.activeElement.textContent") == "Report this?"
        await page.keyboard.press("Enter")  # confirmed
        await page.locator(".chat-report", has_text="Reported").wait_for()
        queue = await host.data("GET", f"{chat}/reports")
        assert [(r["message"]["text"], r["reporter"]["id"]) for r in queue] == [
            ("rude words", bob.id)
        ]
        await page.keyboard.press("Escape")
        assert viewer.errors == []


@pytest.mark.usefixtures("loopback_ice")
async def test_a_banned_viewer_stops_writing_but_keeps_watching_and_reading(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    """As on TikTok LIVE: a ban takes away the chat input, not the stream or the chat."""
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        host, alice, bob = await register(client), await register(client), await register(client)
        chat = f"/api/streams/{host.username}/chat"
        async with live_publisher(server.url, host.username, host.token, size=(320, 180)):
            viewer = await open_viewer(browser, server.url, host.username, token=bob.token)
            page = viewer.page
            await page.wait_for_function(PLAYING, timeout=20_000)
            await expect(page.locator("#chat-input")).to_be_enabled()

            await host.data("POST", f"{chat}/bans", json={"userId": bob.id})
            await expect(page.locator("#chat-form")).to_be_hidden()
            await expect(page.locator("#chat-status")).to_have_text(
                "You are banned from this chat."
            )
            await alice.data("POST", chat, json={"text": "bob is still reading this"})
            await page.locator(".chat-text", has_text="bob is still reading this").wait_for()
            assert (await page.evaluate(FRAMES_DECODED, 10))["frames"] == 10  # still playing
            refused = await bob.call("POST", chat, json={"text": "let me in"})
            assert refused.status_code == 403
            assert refused.json()["error"]["code"] == "banned"
            # Opening the page again (a new visit) plays too, and offers no input from the start.
            again = await open_viewer(browser, server.url, host.username, token=bob.token)
            await again.page.wait_for_function(PLAYING, timeout=20_000)
            await again.page.locator(".chat-text", has_text="still reading").wait_for()
            await expect(again.page.locator("#chat-status")).to_have_text(
                "You are banned from this chat."
            )
            assert await again.page.locator("#chat-form").is_hidden()
            assert again.errors == []

            await host.data("DELETE", f"{chat}/bans/{bob.id}")
            await expect(page.locator("#chat-input")).to_be_enabled()
            await expect(page.locator("#chat-status")).to_have_text("")
            assert viewer.errors == []


async def test_a_followers_only_chat_opens_when_the_viewer_follows(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client, chromium() as browser:
        host, bob = await register(client), await register(client)
        chat = f"/api/streams/{host.username}/chat"
        await host.data("PATCH", f"{chat}/settings", json={"membersOnly": True})
        viewer = await open_viewer(browser, server.url, host.username, token=bob.token)
        page = viewer.page
        refusal = (
            f"Only followers of {host.username} can chat here. Follow {host.username} to join in."
        )
        await expect(page.locator("#chat-status")).to_have_text(refusal)
        await expect(page.locator("#chat-input")).to_be_disabled()
        await expect(page.locator("#chat-rules")).to_have_text("Followers only")

        await page.locator("#follow").click()  # the chat opens without reloading the page
        await expect(page.locator("#chat-input")).to_be_enabled()
        await expect(page.locator("#chat-status")).to_have_text("")
        await page.fill("#chat-input", "I follow now")
        await page.keyboard.press("Enter")
        await page.locator(".chat-text", has_text="I follow now").wait_for()

        await page.locator("#follow").click()  # and closes again on unfollowing
        await expect(page.locator("#chat-input")).to_be_disabled()
        await expect(page.locator("#chat-status")).to_have_text(refusal)
        # The streamer lifts the rule: the page reads what this viewer may write again.
        await host.data("PATCH", f"{chat}/settings", json={"membersOnly": False})
        await expect(page.locator("#chat-input")).to_be_enabled()
        await expect(page.locator("#chat-rules")).to_have_text("")
        assert viewer.errors == []
