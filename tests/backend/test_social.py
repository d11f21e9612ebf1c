"""Following, "went live" notifications, likes, a stream's title and the home page listing
(issue 18), against a real server, a real database and, where a stream must be live, the
studio core publishing to it."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from PIL import Image

from backend.services.social.likes import BURST
from backend.services.social.lives import RECONNECT_GRACE
from backend.services.social.notifications import RETENTION
from backend.settings import Settings
from backend.storage.db import utc_now
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.backend.test_streams import guest
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer, running_server
from wire.events import Follow, Notify, Stream, stream_room

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        yield http


async def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


# ---- following -----------------------------------------------------------------------------
async def test_follow_and_unfollow_are_idempotent_and_counted(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    alice, bob = await register(client), await register(client)
    async with Listener(server.ws_url, alice.token) as studio:
        first = await bob.data("POST", f"/api/users/{alice.id}/follow")
        again = await bob.data("POST", f"/api/users/{alice.id}/follow")
        assert (
            first
            == again
            == {
                "streamer": {
                    "id": alice.id,
                    "username": alice.username,
                    "displayName": alice.username,
                },
                "following": True,
                "followers": 1,
            }
        )
        news = await studio.wait_for(Follow.FOLLOWERS)
        assert news["data"]["follower"]["id"] == bob.id and news["data"]["followers"] == 1
        profile = await bob.data("GET", f"/api/users/{alice.id}")
        assert (profile["followers"], profile["following"], profile["followingCount"]) == (
            1,
            True,
            0,
        )
        snapshot = await bob.data("GET", f"/api/streams/{alice.username}")
        assert (snapshot["followers"], snapshot["following"]) == (1, True)

        listed = await alice.data("GET", f"/api/users/{alice.id}/followers")
        assert listed["total"] == 1 and [f["id"] for f in listed["followers"]] == [bob.id]

        gone = await bob.data("DELETE", f"/api/users/{alice.id}/follow")
        assert (gone["following"], gone["followers"]) == (False, 0)
        assert (await bob.data("DELETE", f"/api/users/{alice.id}/follow")) == gone
        left = await studio.wait_for(
            lambda e: e["event"] == Follow.FOLLOWERS and not e["data"]["following"]
        )
        assert left["data"]["followers"] == 0
        assert len(studio.named(Follow.FOLLOWERS)) == 2  # repeats changed nothing, said nothing


async def test_follow_refusals_say_why(client: httpx.AsyncClient) -> None:
    alice, bob = await register(client), await register(client)
    visitor = await guest(client)
    assert await error_of(await alice.call("POST", f"/api/users/{alice.id}/follow")) == (
        400,
        "cannot_follow_self",
    )
    assert await error_of(await alice.call("POST", "/api/users/nobody/follow")) == (
        404,
        "user_not_found",
    )
    assert await error_of(await visitor.call("POST", f"/api/users/{alice.id}/follow")) == (
        403,
        "account_required",
    )
    assert (await client.post(f"/api/users/{alice.id}/follow")).status_code == 401
    assert await error_of(await bob.call("GET", f"/api/users/{alice.id}/followers")) == (
        403,
        "not_your_followers",
    )


# ---- a stream's title ----------------------------------------------------------------------
async def test_the_streamer_titles_the_live_and_viewers_see_it(client: httpx.AsyncClient) -> None:
    alice, bob = await register(client), await register(client)
    path = f"/api/streams/{alice.username.upper()}/details"
    saved = await alice.data("PUT", path, json={"title": "  Cooking   ramen ", "category": "Food"})
    assert saved == {"stream": alice.username, "title": "Cooking ramen", "category": "Food"}
    snapshot = await bob.data("GET", f"/api/streams/{alice.username}")
    assert (snapshot["title"], snapshot["category"]) == ("Cooking ramen", "Food")
    assert await error_of(await bob.call("PUT", path, json={"title": "mine"})) == (
        403,
        "not_your_stream",
    )
    assert await error_of(await alice.call("PUT", path, json={"title": "x" * 101})) == (
        400,
        "title_too_long",
    )
    assert await error_of(await alice.call("PUT", path, json={"category": "Knitting"})) == (
        400,
        "unknown_category",
    )
    assert await error_of(await alice.call("PUT", path, json={"likes": 5})) == (
        422,
        "validation_error",
    )


# ---- notifications -------------------------------------------------------------------------
class Clock:
    """Time for the server's notifications, moved by the test (never slept through)."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.usefixtures("loopback_ice")
async def test_followers_hear_a_new_live_once_and_keep_it_a_week(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    clock = Clock()
    went_live = clock.now
    social = server.app.state.services.social
    social.notifications.clock = social.lives.clock = clock
    alice, bob, carol = await register(client), await register(client), await register(client)
    await alice.data("PUT", f"/api/streams/{alice.username}/details", json={"title": "Ramen"})
    await bob.data("POST", f"/api/users/{alice.id}/follow")
    async with (
        Listener(server.ws_url, bob.token) as page,
        Listener(server.ws_url, carol.token) as other,
    ):
        async with live_publisher(server.url, alice.username, alice.token, size=(160, 90)):
            added = (await page.wait_for(Notify.ADDED))["data"]
        assert added["unread"] == 1
        assert added["notification"]["streamer"]["id"] == alice.id
        assert (added["notification"]["title"], added["notification"]["stream"]) == (
            "Ramen",
            alice.username,
        )
        assert other.named(Notify.ADDED) == []  # not a follower

        # Back within the grace: the same live, nobody is told twice.
        clock.now += RECONNECT_GRACE / 2
        async with live_publisher(server.url, alice.username, alice.token, size=(160, 90)):
            listed = await bob.data("GET", "/api/notifications")
        assert listed["unread"] == 1 and len(listed["notifications"]) == 1

        read = await bob.data("POST", "/api/notifications/read", json={})
        assert read == {"unread": 0}
        assert (await page.wait_for(Notify.READ))["data"] == {"unread": 0}
        listed = await bob.data("GET", "/api/notifications")
        assert listed["notifications"][0]["read"] is True

    clock.now = went_live + RETENTION - timedelta(seconds=1)
    assert len((await bob.data("GET", "/api/notifications"))["notifications"]) == 1
    clock.now += timedelta(seconds=2)
    assert await bob.data("GET", "/api/notifications") == {"unread": 0, "notifications": []}


async def test_marking_read_touches_only_ones_own(
    client: httpx.AsyncClient, server: LiveServer
) -> None:
    alice, bob, carol = await register(client), await register(client), await register(client)
    for follower in (bob, carol):
        await follower.data("POST", f"/api/users/{alice.id}/follow")
    social = server.app.state.services.social
    social.lives.started(alice.username, alice.id)  # as the media server says it
    bobs = (await bob.data("GET", "/api/notifications"))["notifications"]
    carols = (await carol.data("GET", "/api/notifications"))["notifications"]
    assert await bob.data("POST", "/api/notifications/read", json={"ids": [carols[0]["id"]]}) == {
        "unread": 1
    }
    assert (await carol.data("GET", "/api/notifications"))["unread"] == 1
    assert await bob.data("POST", "/api/notifications/read", json={"ids": [bobs[0]["id"]]}) == {
        "unread": 0
    }


# ---- likes and the home page ---------------------------------------------------------------
@pytest.mark.usefixtures("loopback_ice")
async def test_a_storm_of_likes_from_one_viewer_keeps_to_the_rate(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    server.app.state.services.social.likes.rate.clock = lambda: 1000.0  # time stands still
    alice, bob = await register(client), await register(client)
    offline = await bob.call("POST", f"/api/streams/{alice.username}/likes", json={"count": 1})
    assert await error_of(offline) == (409, "stream_offline")
    async with (
        live_publisher(server.url, alice.username, alice.token, size=(160, 90)),
        Listener(server.ws_url, bob.token) as page,
    ):
        await page.join(stream_room(alice.username))
        path = f"/api/streams/{alice.username}/likes"
        answers = await asyncio.gather(
            *(bob.call("POST", path, json={"count": 1}) for _ in range(100))
        )
        accepted = [a for a in answers if a.status_code == 200]
        refused = [a for a in answers if a.status_code == 429]
        assert len(accepted) == BURST and len(refused) == 100 - BURST
        assert all(int(a.headers["Retry-After"]) >= 1 for a in refused)
        assert refused[0].json()["error"]["code"] == "rate_limited"
        last = await page.wait_for(
            lambda e: e["event"] == Stream.LIKES and e["data"]["total"] == BURST
        )
        events = page.named(Stream.LIKES)
        assert sum(e["added"] for e in events) == BURST
        assert len(events) < len(accepted)  # gathered, not one event per tap
        assert last["data"]["stream"] == alice.username
        assert (await bob.data("GET", f"/api/streams/{alice.username}"))["likes"] == BURST
        bad = await bob.call("POST", path, json={"count": 0})
        assert bad.status_code == 422


@pytest.mark.usefixtures("loopback_ice")
async def test_likes_just_before_the_stream_stops_are_counted_for_its_live(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    server.app.state.services.social.likes.interval = 3600.0  # only the stop writes the batch
    alice, bob = await register(client), await register(client)
    path = f"/api/streams/{alice.username}/likes"
    async with Listener(server.ws_url, alice.token) as studio:
        async with live_publisher(server.url, alice.username, alice.token, size=(160, 90)):
            assert (await bob.data("POST", path, json={"count": 7}))["accepted"] == 7
        news = await studio.wait_for(Stream.LIKES)
    assert (news["data"]["total"], news["data"]["added"]) == (7, 7)
    stored = server.app.state.services.db.scalar(
        "SELECT likes FROM stream_details WHERE stream = ?", (alice.username,)
    )
    assert stored == 7


async def test_likes_waiting_for_their_batch_are_written_when_the_backend_stops(
    settings: Settings,
) -> None:
    # Media on another server: this backend takes likes without seeing the stream live.
    settings = settings.with_overrides(whep_url_template="https://media.example/whep/{stream}")
    with running_server(settings) as first:
        first.app.state.services.social.likes.interval = 3600.0
        async with httpx.AsyncClient(base_url=first.url) as http:
            alice, bob = await register(http), await register(http)
            path = f"/api/streams/{alice.username}/likes"
            assert (await bob.data("POST", path, json={"count": 5}))["accepted"] == 5
    with running_server(settings) as again:
        async with httpx.AsyncClient(base_url=again.url) as http:
            bob.client = http
            assert (await bob.data("GET", f"/api/streams/{alice.username}"))["likes"] == 5


@pytest.mark.usefixtures("loopback_ice")
async def test_the_home_listing_puts_followed_lives_first_with_a_still(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    alice, bob, viewer = await register(client), await register(client), await register(client)
    await viewer.data("POST", f"/api/users/{bob.id}/follow")
    await alice.data("PUT", f"/api/streams/{alice.username}/details", json={"title": "Music!"})
    async with (
        live_publisher(server.url, alice.username, alice.token, size=(320, 180)),
        live_publisher(server.url, bob.username, bob.token, size=(320, 180)),
        Listener(server.ws_url, viewer.token) as watching,
    ):
        await watching.join(stream_room(alice.username))  # alice has one viewer, bob none
        listing = await until(viewer, lambda d: all(s["stillUrl"] for s in d["live"]))
        mine = [s for s in listing["live"] if s["streamer"]["id"] in (alice.id, bob.id)]
        assert [s["stream"] for s in mine] == [bob.username, alice.username]  # followed first
        assert mine[0]["following"] and not mine[1]["following"]
        assert (mine[1]["title"], mine[1]["viewerCount"]) == ("Music!", 1)
        assert mine[0]["title"] == f"Live with {bob.username}"
        still = await client.get(mine[1]["stillUrl"])
        assert still.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(still.content)).size == (320, 180)
        found = await viewer.data("GET", "/api/discover", params={"q": alice.username.upper()})
        assert [s["stream"] for s in found["live"]] == [alice.username]
    offline = await until(viewer, lambda d: not d["live"] and d["offline"])
    assert [o["streamer"]["id"] for o in offline["offline"]] == [bob.id]
    assert offline["offline"][0]["lastLiveAt"] is not None


async def until(user: ApiUser, ready: object, tries: int = 100) -> dict[str, object]:
    """The home listing once ``ready(listing)`` holds (stills come with the next keyframe)."""
    assert callable(ready)
    for _ in range(tries):
        listing = await user.data("GET", "/api/discover")
        if ready(listing):
            return listing  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError(f"the listing never got there: {listing}")
