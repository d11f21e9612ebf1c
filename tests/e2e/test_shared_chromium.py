"""The browser the viewer-page tests share: pages do not outlive their test, a crashed browser
is launched again, and what a test left running is cancelled."""

from __future__ import annotations

import asyncio
import contextlib

from playwright.async_api import Error as PlaywrightError

from tests.e2e.shared_chromium import Chromium, cancel_tasks_started_since

PAGE = "data:text/html,<p>hello</p>"


async def test_the_pages_of_a_block_are_closed_after_it(chromium: Chromium) -> None:
    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(PAGE)
        assert await page.text_content("p") == "hello"
    assert page.is_closed()
    assert browser.is_connected() and browser.contexts == []  # kept for the next test, empty


async def test_a_crashed_browser_is_launched_again(chromium: Chromium) -> None:
    async with chromium() as browser:
        await (await browser.new_page()).goto(PAGE)
        devtools = await browser.new_browser_cdp_session()
        with contextlib.suppress(PlaywrightError):  # the answer never comes: the browser is gone
            await devtools.send("Browser.crash")
        assert not browser.is_connected()
    async with chromium() as again:
        assert again is not browser and again.is_connected()
        page = await again.new_page()
        await page.goto(PAGE)
        assert await page.text_content("p") == "hello"


async def test_a_browser_with_other_flags_is_a_browser_of_its_own(chromium: Chromium) -> None:
    async with chromium() as plain, chromium("--autoplay-policy=no-user-gesture-required") as other:
        assert other is not plain
    async with chromium() as plain_again:
        assert plain_again is plain


async def test_the_tasks_a_test_left_running_are_cancelled() -> None:
    before = asyncio.all_tasks()
    left_behind = asyncio.create_task(asyncio.sleep(3600))
    await cancel_tasks_started_since(before)
    assert left_behind.cancelled()
    assert all(task in before or task.done() for task in asyncio.all_tasks())
