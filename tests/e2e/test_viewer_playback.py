"""The viewer page plays a live stream from the studio-core publisher and recovers by itself."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
import pytest
from playwright.async_api import Page, Response, Route

from backend.settings import IceServer, Settings
from studio.core.broadcast import Broadcast, LiveTarget
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource
from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import FRAMES_DECODED, open_viewer
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer, free_port, running_server

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(180)]


@dataclass
class Requests:
    """What a page asked for (``METHOD url``, in order), and the requests held back: those
    matching the ``hold`` pattern. :meth:`note` is an ``open_viewer`` ``before_load``."""

    hold: str | None = None
    asked: list[str] = field(default_factory=list)
    held: list[Route] = field(default_factory=list)

    async def note(self, page: Page) -> None:
        """Note ``page``'s requests and hold those matching :attr:`hold`."""
        page.on("request", lambda request: self.asked.append(f"{request.method} {request.url}"))
        if self.hold:
            await page.route(self.hold, lambda route: self.held.append(route))

    async def until_held(self, request: str | None = None) -> None:
        """Wait (at most 10 s) until a request is held and ``request`` was asked for: a held
        route is reported over its own protocol message, a moment after the page's request
        events, so reading one as soon as the other is in can miss it."""
        for _ in range(200):
            if self.held and (request is None or request in self.asked):
                return
            await asyncio.sleep(0.05)


async def test_the_page_plays_a_live_stream_and_shows_when_it_drops(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:
        viewer = await open_viewer(browser, server.url, alice.username)
        page = viewer.page
        tile = page.locator(".tile")
        await tile.get_by_text("is not live yet").wait_for()  # not live yet: said in words
        unmute_button = page.locator("#unmute")
        assert not await unmute_button.is_visible()  # nothing to unmute over an offline stream
        async with live_publisher(server.url, alice.username, alice.token, size=(320, 180)):
            await page.wait_for_function(
                "() => document.querySelector('.tile').dataset.state === 'playing'",
                timeout=20_000,
            )
            decoded = await page.evaluate(FRAMES_DECODED, 15)
            assert decoded["frames"] == 15 and decoded["width"] == 320
            assert await page.locator("#live-badge").text_content() in ("Live", "Offline")

            # Muted autoplay; one clear button turns the sound on.
            video = page.locator(".tile video")
            assert await video.evaluate("v => v.muted && !v.paused")
            unmute = page.get_by_role("button", name="Tap to unmute")
            await unmute.click()
            assert await video.evaluate("v => !v.muted")
            assert await page.locator("#unmute").get_attribute("aria-pressed") == "true"
        # The publisher went away: the tile says so instead of freezing on the last frame.
        await page.wait_for_function(
            "() => ['reconnecting', 'offline'].includes("
            "document.querySelector('.tile').dataset.state)",
            timeout=15_000,
        )
        assert await tile.locator(".tile-state").is_visible()
        assert not await unmute_button.is_visible()
        async with live_publisher(server.url, alice.username, alice.token, size=(320, 180)):
            await page.wait_for_function(
                "() => document.querySelector('.tile').dataset.state === 'playing'",
                timeout=20_000,
            )
            assert (await page.evaluate(FRAMES_DECODED, 5))["frames"] == 5
        assert viewer.errors == []


async def test_the_viewer_count_follows_pages_opening_and_closing(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:
        first = await open_viewer(browser, server.url, alice.username)
        count = first.page.locator("#viewer-count")
        await count.get_by_text("1 watching").wait_for()
        second = await open_viewer(browser, server.url, alice.username)
        await count.get_by_text("2 watching").wait_for()
        assert await count.get_attribute("aria-label") == "2 viewers watching"
        await second.page.context.close()
        await count.get_by_text("1 watching").wait_for()


async def test_an_unknown_stream_says_so(server: LiveServer, chromium: Chromium) -> None:
    async with chromium() as browser:
        viewer = await open_viewer(browser, server.url, "nobody-here")
        await viewer.page.get_by_text("There is no stream called 'nobody-here'.").wait_for()
        assert await viewer.page.locator("h1").text_content() == "Stream not found"


async def test_the_page_asks_for_the_stream_while_the_catalog_is_on_its_way(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    """Every round trip before the WHEP offer delays the first frame (issue 23): the stream's
    state and the gift catalog are asked for together, not one by one, and the video does not
    wait for the catalog (the media settings come with the page)."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:
        requests = Requests(hold="**/api/gifts")

        viewer = await open_viewer(browser, server.url, alice.username, before_load=requests.note)
        state = f"GET {server.url}/api/streams/{alice.username}"
        await requests.until_held(state)
        assert state in requests.asked, requests.asked
        assert len(requests.held) == 1, requests  # ... while the catalog is not answered yet
        # The WHEP offer went out and was answered (not live) with the catalog still held.
        await viewer.page.locator(".tile").get_by_text("is not live yet").wait_for()
        assert len(requests.held) == 1
        await requests.held[0].continue_()
        await viewer.page.locator("#gift-grid button.gift").first.wait_for(state="attached")
        assert viewer.errors == []


async def test_the_offer_leaves_before_every_candidate_and_the_rest_trickle(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    """Without STUN/TURN servers the page sends its WHEP offer without waiting for ICE
    candidates and PATCHes them and the end of candidates (issue 23: waiting for the browser's
    first candidate cost 100-150 ms before the offer); the server takes them and the video
    plays."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:
        patches: list[tuple[int, str]] = []

        async def note_patches(page: Page) -> None:
            async def noted(response: Response) -> None:
                if response.request.method == "PATCH" and "/whep/" in response.url:
                    patches.append((response.status, response.request.post_data or ""))

            page.on("response", noted)

        async with live_publisher(server.url, alice.username, alice.token, size=(320, 180)):
            viewer = await open_viewer(
                browser, server.url, alice.username, before_load=note_patches
            )
            await viewer.page.wait_for_function(
                "() => document.querySelector('.tile')?.dataset.state === 'playing'",
                timeout=20_000,
            )
            assert (await viewer.page.evaluate(FRAMES_DECODED, 5))["frames"] == 5
            for _ in range(200):
                if any("a=end-of-candidates" in body for _, body in patches):
                    break
                await asyncio.sleep(0.05)
        assert patches and all(status == 204 for status, _ in patches), patches
        assert "a=end-of-candidates" in patches[-1][1]
        assert all(body.startswith("a=ice-ufrag:") for _, body in patches)
        assert viewer.errors == []


async def test_a_viewer_whose_saved_sign_in_expired_plays_as_a_guest(
    server: LiveServer, chromium: Chromium
) -> None:
    """js/early.js offers with the token the page saved before the page has checked it: an
    account's that is no longer good is refused, and the player offers again with the guest
    token the page falls back to, at once (no "Sign in to watch", no backoff)."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with (
        chromium() as browser,
        live_publisher(server.url, alice.username, alice.token, size=(320, 180)),
    ):
        requests = Requests()
        viewer = await open_viewer(
            browser, server.url, alice.username, token="expired-token", before_load=requests.note
        )
        await viewer.page.wait_for_function(
            "() => document.querySelector('.tile')?.dataset.state === 'playing'", timeout=20_000
        )
        assert (await viewer.page.evaluate(FRAMES_DECODED, 5))["frames"] == 5
        offers = [
            asked for asked in requests.asked if asked.startswith("POST") and "/whep/" in asked
        ]
        assert len(offers) == 2, requests.asked  # the early one, refused, and the guest's
        assert await viewer.page.evaluate("() => sessionStorage.getItem('onair.guest')")


async def test_the_page_finishes_loading_while_the_stream_is_offline(
    server: LiveServer, chromium: Chromium
) -> None:
    """The player may start before the page's last image has loaded: an empty <video> must not
    hold the load event for as long as the stream stays offline (seen as 90 s page loads)."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:

        async def hold_the_logo_until_the_player_asked(page: Page) -> None:
            asked = asyncio.Event()
            page.on("requestfinished", lambda request: "/whep/" in request.url and asked.set())

            async def hold(route: Route) -> None:
                await asked.wait()
                await route.continue_()

            await page.route("**/web/img/logo.svg", hold)

        viewer = await open_viewer(
            browser,
            server.url,
            alice.username,
            before_load=hold_the_logo_until_the_player_asked,
        )
        await viewer.page.locator(".tile").get_by_text("is not live yet").wait_for()
        assert viewer.errors == []


RECORD_OFFERS = """
window.offersMade = 0;
window.iceServersUsed = [];
window.RTCPeerConnection = class extends window.RTCPeerConnection {
  constructor(config, ...rest) {
    super(config, ...rest);
    window.iceServersUsed.push((config?.iceServers ?? []).map((server) => server.urls));
  }
  async setLocalDescription(...args) {
    await super.setLocalDescription(...args);
    window.offersMade += 1;
  }
};
"""
"""A page script: how many offers the page's peer connections made, and each one's ICE
servers."""


async def test_the_video_plays_while_the_stream_s_state_is_still_on_its_way(
    server: LiveServer, chromium: Chromium
) -> None:
    """The WHEP offer waits for neither the stream's state nor the rest of the page (issue 23):
    the video starts from the URL's stream name, and the page's other scripts are asked for
    only after the offer."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:
        requests = Requests(hold=f"**/api/streams/{alice.username}")

        async with live_publisher(server.url, alice.username, alice.token, size=(320, 180)):
            viewer = await open_viewer(
                browser, server.url, alice.username, before_load=requests.note
            )
            page = viewer.page
            await page.wait_for_function(
                "() => document.querySelector('.tile')?.dataset.state === 'playing'",
                timeout=20_000,
            )
            await requests.until_held()  # js/app.js, loaded after the first picture, asked
            assert (await page.evaluate(FRAMES_DECODED, 5))["frames"] == 5
            name = await page.locator("#streamer-name").text_content()
            assert requests.held and name == "Loading…"
            offer = requests.asked.index(f"POST {server.url}/whep/{alice.username}")
            assert offer < requests.asked.index(f"GET {server.url}/web/js/app.js")
            for route in requests.held:
                await route.continue_()
            await page.locator("#streamer-name").get_by_text(alice.username).wait_for()
            assert await page.locator(".tile").count() == 1
            assert await page.locator(".tile").get_attribute("data-state") == "playing"
        assert viewer.errors == []


async def test_a_click_before_the_rest_of_the_page_has_loaded_is_made_once_it_has(
    server: LiveServer, chromium: Chromium
) -> None:
    """The page's buttons are wired by js/app.js, which loads after the video has started: a tap
    on one before that is kept, not lost (seen as a coin shop that never opened)."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:
        requests = Requests(hold="**/web/js/app.js")

        viewer = await open_viewer(browser, server.url, alice.username, before_load=requests.note)
        page = viewer.page
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_function("() => document.querySelector('.tile')")
        assert requests.held and not await page.locator("#auth-dialog").is_visible()
        for route in requests.held:
            await route.continue_()
        await page.locator("#auth-dialog").wait_for(state="visible")
        assert viewer.errors == []


async def test_the_offer_is_made_while_the_viewer_token_is_on_its_way(
    server: LiveServer, chromium: Chromium
) -> None:
    """A new guest's token is one round trip: the peer connection makes its offer meanwhile,
    and sends it with the token once that is in."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with chromium() as browser:
        held: list[Route] = []

        async def hold_the_token(page: Page) -> None:
            await page.add_init_script(RECORD_OFFERS)
            await page.route("**/api/auth/guest", lambda route: held.append(route))

        viewer = await open_viewer(browser, server.url, alice.username, before_load=hold_the_token)
        page = viewer.page
        await page.wait_for_function("() => window.offersMade === 1", timeout=20_000)
        assert len(held) == 1  # the token is still on its way
        await held[0].continue_()
        await page.locator(".tile").get_by_text("is not live yet").wait_for()
        await page.locator("#streamer-name").get_by_text(alice.username).wait_for()
        assert viewer.errors == []


async def test_a_guest_is_asked_to_sign_in_for_a_members_only_stream_then_watches_it(
    server: LiveServer, chromium: Chromium
) -> None:
    """The video the page started before it knew who watches is refused to a guest, says why,
    and plays once the guest has signed in on the page."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, bob = await register(client), await register(client)
    broadcast = Broadcast()
    broadcast.use_source(SampleSource(320, 180, fps=30.0), SAMPLE)
    target = LiveTarget(f"{server.url}/whip/{alice.username}?visibility=members", alice.token)
    try:
        publisher = await broadcast.go_live(target, audio=None)
        await asyncio.wait_for(publisher.wait_live(), 20)
        async with chromium() as browser:
            requests = Requests()
            viewer = await open_viewer(
                browser, server.url, alice.username, before_load=requests.note
            )
            page = viewer.page
            tile = page.locator(".tile")
            await tile.get_by_text("streams to signed-in viewers only").wait_for()
            assert await tile.get_attribute("data-state") == "error"
            # The rest of the page loads (its account bar retries refused videos): nothing is
            # offered again with the token that was refused.
            await page.locator("#gift-grid button.gift").first.wait_for(state="attached")
            offers = [ask for ask in requests.asked if ask.startswith("POST") and "/whep/" in ask]
            assert len(offers) == 2, requests.asked  # js/early.js's and the player's, refused
            assert await tile.get_attribute("data-state") == "error"
            await page.locator("#sign-in").click()
            await page.fill("#auth-username", bob.username)
            await page.fill("#auth-password", "correct horse")
            await page.locator("#auth-submit").click()
            await page.wait_for_function(
                "() => document.querySelector('.tile').dataset.state === 'playing'",
                timeout=20_000,
            )
            assert (await page.evaluate(FRAMES_DECODED, 5))["frames"] == 5
            assert viewer.errors == []
    finally:
        await broadcast.close()


async def test_an_unknown_stream_stops_the_video_the_page_started(
    server: LiveServer, chromium: Chromium
) -> None:
    """The page starts a video for the name in its URL before it knows the stream exists;
    once it knows it does not, it stops asking for it."""
    async with chromium() as browser:
        requests = Requests()

        def offers() -> int:
            return sum("/whep/" in request for request in requests.asked)

        viewer = await open_viewer(browser, server.url, "nobody-here", before_load=requests.note)
        page = viewer.page
        await page.get_by_text("There is no stream called 'nobody-here'.").wait_for()
        assert offers() and await page.locator(".tile").count() == 0
        made = offers()
        await asyncio.sleep(4.0)  # past the longest wait between a player's attempts (3 s)
        assert offers() == made
        assert viewer.errors == []


async def test_a_stream_named_in_other_letters_plays_under_its_own_name(
    server: LiveServer, chromium: Chromium
) -> None:
    """/watch/ALICE: the video started for the URL's spelling finds nothing live; the stream's
    state names the stream as published, whose video takes the stage."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
    async with (
        chromium() as browser,
        live_publisher(server.url, alice.username, alice.token, size=(320, 180)),
    ):
        viewer = await open_viewer(browser, server.url, alice.username.upper())
        page = viewer.page
        await page.wait_for_function(
            "() => document.querySelector('.tile')?.dataset.state === 'playing'",
            timeout=20_000,
        )
        tiles = page.locator(".tile")
        assert await tiles.count() == 1
        assert await tiles.get_attribute("data-stream") == alice.username
        assert viewer.errors == []


async def test_with_ice_servers_the_video_asks_for_them_before_its_offer(
    settings: Settings, chromium: Chromium
) -> None:
    """STUN/TURN credentials are per viewer, so they are not in the page: with ICE servers
    configured the video asks for the media settings first and uses them."""
    stun = IceServer(f"stun:127.0.0.1:{free_port()}")  # nothing answers: host candidates do
    with running_server(settings.with_overrides(ice_servers=(stun,))) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            alice = await register(client)
        async with chromium() as browser:
            requests = Requests()

            async def note_requests(page: Page) -> None:
                await page.add_init_script(RECORD_OFFERS)
                await requests.note(page)

            viewer = await open_viewer(
                browser, server.url, alice.username, before_load=note_requests
            )
            page = viewer.page
            await page.locator(".tile").get_by_text("is not live yet").wait_for()
            config = requests.asked.index(f"GET {server.url}/api/media/config")
            assert config < requests.asked.index(f"POST {server.url}/whep/{alice.username}")
            assert (await page.evaluate("window.iceServersUsed"))[0] == [stun.urls]
            assert viewer.errors == []
