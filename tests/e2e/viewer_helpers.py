"""Viewer-page test helpers: Debian's Chromium driven by Playwright, pages opened as a viewer.

Playwright never downloads a browser here; it drives /usr/lib/chromium/chromium with the flags
DESIGN.md lists for WebRTC on loopback.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from playwright.async_api import Browser, Page, async_playwright

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
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


FRAMES_DECODED = """(count) => new Promise((resolve) => {
  const video = document.querySelector('.tile video');
  let frames = 0;
  const onFrame = (_, meta) => {
    frames += 1;
    if (frames >= count) resolve({frames, width: meta.width, height: meta.height});
    else video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
})"""
"""Resolves once the first tile's video has decoded ``count`` more frames."""


@asynccontextmanager
async def chromium(*extra_args: str) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, with the flags WebRTC on loopback needs."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Viewer:
    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


async def open_viewer(
    browser: Browser,
    base_url: str,
    stream: str,
    *,
    token: str | None = None,
    viewport: dict[str, int] | None = None,
    device_scale_factor: float = 1,
) -> Viewer:
    """Open /watch/{stream}, signed in with ``token`` (an account) or as a guest."""
    context = await browser.new_context(
        viewport=viewport or DESKTOP,  # type: ignore[arg-type]
        device_scale_factor=device_scale_factor,
        is_mobile=bool(viewport and viewport["width"] < 600),
        has_touch=bool(viewport and viewport["width"] < 600),
    )
    if token:
        await context.add_init_script(f"localStorage.setItem('onair.token', {json.dumps(token)});")
    page = await context.new_page()
    viewer = Viewer(page)
    page.on("pageerror", lambda error: viewer.errors.append(str(error)))
    page.on("dialog", lambda dialog: viewer.dialogs.append(dialog.message))
    await page.goto(f"{base_url}/watch/{stream}")
    return viewer
