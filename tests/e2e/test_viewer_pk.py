"""The viewer page during a PK battle: live scores across viewers, the result, gifting rules."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from backend.services.pk import END_DEADLINE
from backend.storage.db import iso, utc_now
from tests.backend.api_helpers import ApiUser, register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import PHONE, open_viewer
from tests.servers import LiveServer

pytestmark = pytest.mark.timeout(180)


async def start_battle(host1: ApiUser, host2: ApiUser) -> dict:
    battle = await host1.data("POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 5})
    return await host2.data("POST", f"/api/pk-battles/{battle['id']}/accept")


async def battle_with_stars(
    client: httpx.AsyncClient, names: tuple[str | None, str | None], to_bob: bool
) -> tuple[ApiUser, ApiUser, dict]:
    """Alice challenges Bob (``names``), he accepts, and a fan sends 2 stars to one of them."""
    alice, bob = await register(client, name=names[0]), await register(client, name=names[1])
    fan = await register(client, coins=50)
    battle = await start_battle(alice, bob)
    await fan.data(
        "POST",
        f"/api/pk-battles/{battle['id']}/gift",
        json={"giftId": "star", "quantity": 2, "toHost": (bob if to_bob else alice).id},
    )
    return alice, bob, battle


async def test_a_gift_from_one_viewer_moves_the_score_bar_on_the_other(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, bob = await register(client), await register(client)
        giver, watcher = await register(client, coins=500), await register(client, coins=10)
        await start_battle(alice, bob)
    async with chromium() as browser:
        one = await open_viewer(browser, server.url, alice.username, token=giver.token)
        two = await open_viewer(browser, server.url, alice.username, token=watcher.token)
        for viewer in (one, two):
            await viewer.page.locator("#pk").wait_for(state="visible")
            await viewer.page.get_by_role("button", name="Send Crown, 99 coins each").wait_for()
        width_before = await two.page.locator("#pk-fill1").evaluate("e => e.style.width")
        assert width_before == "50%"

        await one.page.get_by_role("radio", name=bob.username).check()
        await one.page.get_by_role("button", name="Send Crown, 99 coins each").click()
        await one.page.get_by_role("status").filter(has_text="Sent Crown").wait_for()

        # The other viewer's bar moves to bob's side within a second.
        await two.page.wait_for_function(
            "() => document.getElementById('pk-score-host2').textContent === '99'"
            " && document.getElementById('pk-fill1').style.width === '5%'",
            timeout=1_000,
        )
        assert await one.page.locator("#gift-balance").text_content() == "401 coins"
        await two.page.locator("#pk-top-host2").get_by_text(giver.username).wait_for()
        await two.page.locator("#feed-list").get_by_text(f"{giver.username} sent Crown").wait_for()
        assert one.errors == [] and two.errors == []


async def test_the_end_of_a_battle_shows_the_winner(server: LiveServer, chromium: Chromium) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        _, bob, battle = await battle_with_stars(client, ("alice_pk", None), to_bob=False)
    # The battle is two and a half minutes in: the page counts down from the server's deadline,
    # not from the battle's five minutes.
    ends = utc_now() + timedelta(seconds=150)
    server.app.state.services.db.execute(
        "UPDATE pk_battles SET endsAt = ? WHERE id = ?", (iso(ends), battle["id"])
    )
    async with chromium() as browser:
        viewer = await open_viewer(browser, server.url, bob.username, viewport=PHONE)
        page = viewer.page
        await page.locator("#pk-score-host1").get_by_text("20").wait_for()
        timer = await page.locator("#pk-timer").text_content()
        assert timer is not None and timer.startswith("2:"), timer

        server.app.state.services.scheduler.schedule(END_DEADLINE, battle["id"], utc_now())
        result = page.locator("#pk-result")
        await result.wait_for(state="visible", timeout=15_000)
        assert await page.locator("#pk-result-title").text_content() == "alice_pk wins!"
        assert await page.locator("#pk-result-detail").text_content() == "20 – 0"
        assert await page.locator("#pk-timer").text_content() == "Final"
        # The battle is over: gifts go on, to the streamer of this live.
        assert await page.locator("#gift-hint").text_content() == f"Gifts go to {bob.username}."
        await page.get_by_role("button", name="Close").click()
        await page.locator("#pk").wait_for(state="hidden")
        assert await page.locator("#stage").get_attribute("data-mode") == "single"
        assert viewer.errors == []


async def test_a_host_ending_the_battle_early_shows_the_opponent_as_winner(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, bob, battle = await battle_with_stars(client, ("alice_ff", "bob_ff"), to_bob=True)
        async with chromium() as browser:
            viewer = await open_viewer(browser, server.url, alice.username)
            page = viewer.page
            await page.locator("#pk-score-host2").get_by_text("20").wait_for()
            # Counted as a viewer: in the stream's room, so the battle's end arrives as an event.
            await page.locator("#viewer-count").get_by_text("1 watching").wait_for()

            # Bob leads, then ends the battle himself: he forfeits and Alice wins.
            await bob.data("DELETE", f"/api/pk-battles/{battle['id']}")
            await page.locator("#pk-result").wait_for(state="visible", timeout=15_000)
            assert await page.locator("#pk-result-title").text_content() == "alice_ff wins!"
            detail = await page.locator("#pk-result-detail").text_content()
            assert detail == "bob_ff ended the battle early · 0 – 20"
            assert await page.locator("#pk-result").get_attribute("data-winner") == "host1"
            assert await page.locator("#pk-timer").text_content() == "Final"
            await (
                page.locator("#feed-list").get_by_text("bob_ff ended the battle early.").wait_for()
            )

            # A viewer who arrives afterwards sees the same banner from the stream's snapshot.
            late = await open_viewer(browser, server.url, bob.username, viewport=PHONE)
            await late.page.locator("#pk-result").wait_for(state="visible", timeout=15_000)
            assert await late.page.locator("#pk-result-detail").text_content() == detail
            assert viewer.errors == [] and late.errors == []


async def test_a_guest_signs_up_in_place_and_is_told_in_words_when_coins_are_short(
    server: LiveServer,
    chromium: Chromium,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice, bob = await register(client), await register(client)
        await start_battle(alice, bob)
    async with chromium() as browser:
        viewer = await open_viewer(browser, server.url, alice.username)
        page = viewer.page
        # Gifts open the sign-in dialog only once the page knows a battle is running.
        await page.get_by_role("radio", name=alice.username).wait_for()
        await page.get_by_role("button", name="Send Rose, 1 coin each").focus()
        await page.keyboard.press("Enter")  # keyboard only
        dialog = page.get_by_role("dialog")
        await dialog.get_by_text("Sign in to send gifts.").wait_for()
        await dialog.get_by_role("button", name="New here? Create an account").click()
        await dialog.get_by_label("Username").fill("newviewer")
        await dialog.get_by_label("Password").fill("short")
        await dialog.get_by_role("button", name="Create account").click()
        await dialog.get_by_role("alert").filter(has_text="Password must be").wait_for()
        await dialog.get_by_label("Password").fill("long enough secret")
        await dialog.get_by_label("Display name").fill("New Viewer")
        await page.keyboard.press("Enter")
        await dialog.wait_for(state="hidden")
        await page.locator("#account-name").get_by_text("New Viewer").wait_for()

        await page.get_by_role("button", name="Send Rose, 1 coin each").click()
        await page.locator("#gift-status").get_by_text("Not enough coins").wait_for()
        assert await page.locator("#gift-status").get_attribute("data-kind") == "error"
        shop = page.get_by_role("dialog", name="Get coins")  # and the coin shop offers more
        await shop.get_by_role("button", name="Buy 550 coins for $4.99").wait_for()
        assert viewer.errors == []
