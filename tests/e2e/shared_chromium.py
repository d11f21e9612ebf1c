"""One Chromium for the browser tests of tests/e2e instead of one a test.

Starting Playwright's driver and launching Chromium costs 3–4 s on a loaded 2-core machine, and
the first page of a fresh browser another second; the viewer-page tests did that ~45 times.
Each test still gets pages of its own: every page is opened in a browser context of its own
(``viewer_helpers.open_page``), and the contexts a test opened are closed when its
``chromium()`` block ends, so no cookies, storage or pages outlive the test. A browser that
crashed or was closed is launched again on the next use; a dead driver is started again.

Playwright's objects belong to the event loop they were made on, so the tests that share the
browser run on one pytest-asyncio loop, the package's (tests/e2e/conftest.py arranges that).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from playwright.async_api import Browser, BrowserContext, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from bench._chromium import launch

Chromium = Callable[..., AbstractAsyncContextManager[Browser]]
"""``chromium(*extra_args)``: an ``async with`` block over the shared browser for those flags."""

CLOSE_TIMEOUT_S = 30.0  # a context that takes longer to close marks its browser as wedged
LEFTOVER_TASKS_TIMEOUT_S = 10.0


class SharedChromium:
    """A Playwright driver and one browser per set of extra launch flags, kept between tests."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browsers: dict[tuple[str, ...], Browser] = {}
        self.driver_tasks: set[asyncio.Task[object]] = set()
        """The driver's own tasks (reading its pipe): the per-test task clean-up leaves them."""

    async def start(self) -> None:
        before = asyncio.all_tasks()
        self._playwright = await async_playwright().start()
        self.driver_tasks = asyncio.all_tasks() - before

    async def browser(self, *extra_args: str) -> Browser:
        """The shared browser launched with ``extra_args``, launched again if it went away."""
        browser = self._browsers.get(extra_args)
        if browser is None or not browser.is_connected():
            browser = await self._launch(extra_args)
            self._browsers[extra_args] = browser
        return browser

    @asynccontextmanager
    async def use(self, *extra_args: str) -> AsyncIterator[Browser]:
        """The shared browser for a block; the contexts opened in the block are closed after it."""
        browser = await self.browser(*extra_args)
        before = set(browser.contexts)
        try:
            yield browser
        finally:
            await self._close_contexts(browser, [c for c in browser.contexts if c not in before])

    async def close_all_contexts(self) -> None:
        """Close every context still open (a test's pages, whatever happened in the test)."""
        for browser in list(self._browsers.values()):
            await self._close_contexts(browser, list(browser.contexts))

    async def stop(self) -> None:
        for browser in self._browsers.values():
            with contextlib.suppress(PlaywrightError):
                await browser.close()
        self._browsers.clear()
        if self._playwright is not None:
            with contextlib.suppress(PlaywrightError, OSError):
                await self._playwright.stop()
            self._playwright = None

    async def _launch(self, extra_args: tuple[str, ...]) -> Browser:
        if self._playwright is not None:
            with contextlib.suppress(PlaywrightError):
                return await launch(self._playwright, *extra_args)
        # No driver yet, or it died (a launch through a dead driver fails): start a new one.
        await self._stop_driver()
        await self.start()
        assert self._playwright is not None
        return await launch(self._playwright, *extra_args)

    async def _stop_driver(self) -> None:
        playwright, self._playwright = self._playwright, None
        self._browsers.clear()
        if playwright is not None:
            with contextlib.suppress(PlaywrightError, OSError):
                await playwright.stop()

    async def _close_contexts(self, browser: Browser, contexts: list[BrowserContext]) -> None:
        try:
            for context in contexts:
                await asyncio.wait_for(context.close(), CLOSE_TIMEOUT_S)
        except PlaywrightError:
            pass  # the browser crashed under the test: the next use launches a new one
        except TimeoutError:
            # A wedged browser would hang the next test too: drop it for a fresh launch.
            with contextlib.suppress(PlaywrightError, TimeoutError):
                await asyncio.wait_for(browser.close(), CLOSE_TIMEOUT_S)
            self._browsers = {k: b for k, b in self._browsers.items() if b is not browser}


async def cancel_tasks_started_since(before: set[asyncio.Task[object]]) -> None:
    """Cancel the tasks a test left running on the shared loop (and wait for them a while), as
    pytest-asyncio does when it closes a test's own loop."""
    current = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t not in before and t is not current]
    for task in leftovers:
        task.cancel()
    if leftovers:
        await asyncio.wait(leftovers, timeout=LEFTOVER_TASKS_TIMEOUT_S)
