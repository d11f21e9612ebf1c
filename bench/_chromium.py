"""Debian's Chromium driven by Playwright (benchmarks, and the tests, which import it from here).

Playwright never downloads a browser here; it drives /usr/lib/chromium/chromium with the flags
DESIGN.md lists for WebRTC on loopback.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, Playwright, async_playwright

CHROMIUM = os.environ.get("ONAIR_CHROMIUM", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


@asynccontextmanager
async def chromium(*extra_args: str) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, with the flags WebRTC on loopback needs."""
    async with async_playwright() as playwright:
        browser = await launch(playwright, *extra_args)
        try:
            yield browser
        finally:
            await browser.close()


async def launch(playwright: Playwright, *extra_args: str) -> Browser:
    """Launch Debian's Chromium through a running Playwright driver (the tests keep one)."""
    return await playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
    )
