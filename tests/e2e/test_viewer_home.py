"""The home page and the watch page's follow and like (issue 18), in Debian's Chromium against
a real server, with streams published by the studio core."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from playwright.async_api import Route

from tests.backend.api_helpers import ApiUser, Listener, register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import FOCUSED, PHONE, open_home, open_viewer
from tests.helpers_media import live_broadcast, live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer
from wire.events import stream_room

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(180)]

STILL_SHOWN = """(stream) => {
  const img = document.querySelector(`.card[data-stream="${stream}"] .card-media img`);
  return Boolean(img && img.complete && img.naturalWidth > 0);
}"""


async def test_the_home_page_lists_a_live_stream_with_its_picture_and_viewers(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, viewer = await register(client), await register(client)
        await alice.data(
            "PUT", f"/api/streams/{alice.username}/details", json={"title": "Pottery <b>live</b>"}
        )
    async with chromium() as browser:
        home = await open_home(browser, server.url)
        page = home.page
        await page.get_by_text("Nobody is live right now").wait_for()
        async with (
            live_broadcast(server.url, alice.username, alice.token, size=(320, 180)),
            Listener(server.ws_url, viewer.token) as watching,
        ):
            await watching.join(stream_room(alice.username))
            await page.reload()
            card = page.locator(f'.card[data-stream="{alice.username}"]')
            await page.wait_for_function(STILL_SHOWN, arg=alice.username, timeout=30_000)
            assert await card.locator(".card-title").text_content() == "Pottery <b>live</b>"
            assert await card.locator(".card-title b").count() == 0  # text, never markup
            assert await card.locator(".card-viewers").text_content() == "1"
            assert await card.locator(".card-viewers").get_attribute("aria-label") == "1 watching"
            link = card.get_by_role("link")
            assert await link.get_attribute("href") == f"/watch/{alice.username}"

            # Search by name: someone else's name hides the card, part of hers finds it.
            search = page.get_by_role("searchbox", name="Search streamers")
            await search.fill("zzz-nobody")
            await page.get_by_text("Nobody live matches").wait_for()
            await search.fill(alice.username[2:6].upper())
            await card.wait_for()
        assert home.errors == []


async def streamer_and_follower(server: LiveServer) -> tuple[ApiUser, ApiUser]:
    """Two new accounts, the second following the first."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, bob = await register(client), await register(client)
        await bob.data("POST", f"/api/users/{alice.id}/follow")
    return alice, bob


async def test_a_followed_streamer_going_live_rings_the_bell(
    server: LiveServer, chromium: Chromium
) -> None:
    alice, bob = await streamer_and_follower(server)
    async with chromium() as browser:
        home = await open_home(browser, server.url, token=bob.token, viewport=PHONE)
        page = home.page
        bell = page.get_by_role("button", name="Notifications")
        await bell.wait_for()
        offline = page.locator(".offline-item")
        await offline.get_by_text("Not live yet").wait_for()  # followed, never live
        async with live_publisher(server.url, alice.username, alice.token, size=(160, 90)):
            await page.locator("#bell-count").get_by_text("1").wait_for()
            ringing = page.get_by_role("button", name="Notifications, 1 unread")
            await ringing.click()
            item = page.locator(".bell-item").first
            assert "went live" in (await item.text_content() or "")
            assert await page.locator("#bell-count").is_hidden()  # opened: read
            await page.locator(f'.card[data-stream="{alice.username}"]').wait_for()
        async with httpx.AsyncClient(base_url=server.url) as client:
            listed = await client.get(
                "/api/notifications", headers={"Authorization": f"Bearer {bob.token}"}
            )
        assert listed.json()["data"]["unread"] == 0
        assert home.errors == []


async def test_the_bell_count_comes_back_when_it_cannot_be_marked_read(
    server: LiveServer, chromium: Chromium
) -> None:
    """Opening the bell hides the count at once; if the server cannot be told, the count the
    server still has comes back."""
    alice, bob = await streamer_and_follower(server)
    async with chromium() as browser:
        home = await open_home(browser, server.url, token=bob.token, viewport=PHONE)
        page = home.page
        told = asyncio.Event()

        async def fail_when_told(route: Route) -> None:
            await told.wait()
            await route.abort()

        await page.route("**/api/notifications/read", fail_when_told)
        await page.get_by_role("button", name="Notifications").wait_for()
        async with live_publisher(server.url, alice.username, alice.token, size=(160, 90)):
            count = page.locator("#bell-count")
            await count.get_by_text("1").wait_for()
            await page.get_by_role("button", name="Notifications, 1 unread").click()
            assert await count.is_hidden()  # at once, before the server answers
            told.set()
            await count.get_by_text("1").wait_for()  # back, the request having failed
            assert await page.get_by_role("button", name="Notifications, 1 unread").is_visible()


async def test_likes_from_two_pages_add_up_and_follow_counts(
    server: LiveServer, chromium: Chromium
) -> None:
    async with (
        httpx.AsyncClient(base_url=server.url) as client,
        chromium() as browser,
    ):
        alice, bob, carol = await register(client), await register(client), await register(client)
        async with live_publisher(server.url, alice.username, alice.token, size=(160, 90)):
            first = await open_viewer(browser, server.url, alice.username, token=bob.token)
            second = await open_viewer(browser, server.url, alice.username, token=carol.token)
            guest = await open_viewer(browser, server.url, alice.username)
            for viewer in (first, second, guest):
                await viewer.page.locator("#like:not([disabled])").wait_for()
            like_first = first.page.get_by_role("button", name="Like")
            like_second = second.page.get_by_role("button", name="Like")
            for _ in range(3):
                await like_first.click()
            for _ in range(4):
                await like_second.click()
            for viewer in (first, second, guest):
                await viewer.page.locator("#like-count").get_by_text("7", exact=True).wait_for()
            snapshot = await bob.data("GET", f"/api/streams/{alice.username}")
            assert snapshot["likes"] == 7

            # A guest is asked to sign in to like or follow; an account follows, counted.
            await guest.page.get_by_role("button", name="Like").click()
            await guest.page.get_by_text("Sign in to send likes.").wait_for()
            await guest.page.get_by_role("button", name="Cancel").click()
            await guest.page.get_by_role("button", name="Follow").click()
            await guest.page.get_by_text(f"Sign in to follow {alice.username}.").wait_for()
            follow = first.page.get_by_role("button", name="Follow")
            assert await follow.get_attribute("aria-pressed") == "false"
            await follow.click()
            await first.page.locator("#follower-count").get_by_text("1 follower").wait_for()
            assert await follow.get_attribute("aria-pressed") == "true"
            assert (await bob.data("GET", f"/api/users/{alice.id}"))["following"] is True
            assert first.errors == second.errors == guest.errors == []


async def test_the_home_page_is_named_and_reachable_with_tab(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, bob = await register(client), await register(client)
        await bob.data("POST", f"/api/users/{alice.id}/follow")
    async with chromium() as browser:
        home = await open_home(browser, server.url, token=bob.token)
        page = home.page
        await page.locator(".offline-item").wait_for()
        tree = await page.locator("body").aria_snapshot()
        unnamed = [
            line
            for line in tree.splitlines()
            if re.search(r"- (button|textbox|searchbox|link)$", line)
        ]
        assert unnamed == [], tree
        seen = []
        for _ in range(7):
            await page.keyboard.press("Tab")
            seen.append(await page.evaluate(FOCUSED))
        assert seen[:5] == [
            "Skip to live streams",
            "OnAir home",
            "Search streamers",
            "Notifications",
            "Sign out",
        ], seen
        assert alice.username in seen[5]  # the followed streamer, offline
        await page.keyboard.press("Escape")
        await page.get_by_role("button", name="Notifications").click()
        await page.get_by_text("When someone you follow goes live").wait_for()
        await page.keyboard.press("Escape")
        assert await page.locator("#bell-panel").is_hidden()
        assert home.errors == []


HEADER_FITS = """() => {
  const text = document.querySelector(".channel-text");
  return text.scrollWidth <= text.clientWidth;
}"""


async def test_the_watch_page_header_fits_a_phone_beside_the_follow_button(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, bob = await register(client), await register(client)
        async with (
            live_publisher(server.url, alice.username, alice.token, size=(160, 90)),
            chromium() as browser,
        ):
            viewer = await open_viewer(
                browser, server.url, alice.username, token=bob.token, viewport=PHONE
            )
            page = viewer.page
            await page.get_by_role("button", name="Follow").wait_for()
            count = page.locator("#viewer-count")
            await count.get_by_text("1").wait_for()
            assert await count.get_attribute("aria-label") == "1 viewer watching"
            assert await count.locator(".viewers-word").is_hidden()  # the eye says it
            assert await page.evaluate(HEADER_FITS)  # nothing cut off
            assert viewer.errors == []
