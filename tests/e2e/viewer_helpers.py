"""Viewer-page test helpers: Debian's Chromium driven by Playwright, pages opened as a viewer.

The browser itself (Debian's, with the flags WebRTC on loopback needs) comes from
``bench._chromium``, which the benchmarks share.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from playwright.async_api import Browser, Page

from bench._chromium import chromium

__all__ = ["DESKTOP", "FRAMES_DECODED", "PHONE", "Viewer", "chromium", "open_viewer"]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NAVIGATION_MS = 90_000  # a page load on a 2-core machine running the suite can pass 30 s


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

FOCUSED = """() => {
  const el = document.activeElement;
  return el.getAttribute('aria-label') || el.labels?.[0]?.textContent?.trim()
    || el.textContent.trim() || el.id;
}"""
"""What a person hears as the focused control's name."""


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
    before_load: Callable[[Page], Awaitable[None]] | None = None,
) -> Viewer:
    """Open /watch/{stream}, signed in with ``token`` (an account) or as a guest;
    ``before_load`` gets the page first (to route its requests, say)."""
    return await open_page(
        browser,
        f"{base_url}/watch/{stream}",
        token=token,
        viewport=viewport,
        device_scale_factor=device_scale_factor,
        before_load=before_load,
    )


async def open_home(
    browser: Browser,
    base_url: str,
    *,
    token: str | None = None,
    viewport: dict[str, int] | None = None,
) -> Viewer:
    """Open the home page (/), signed in with ``token`` or as a guest."""
    return await open_page(browser, f"{base_url}/", token=token, viewport=viewport)


async def open_page(
    browser: Browser,
    url: str,
    *,
    token: str | None = None,
    viewport: dict[str, int] | None = None,
    device_scale_factor: float = 1,
    before_load: Callable[[Page], Awaitable[None]] | None = None,
) -> Viewer:
    """Open one of the viewer pages in a context of its own (its own storage)."""
    context = await browser.new_context(
        viewport=viewport or DESKTOP,  # type: ignore[arg-type]
        device_scale_factor=device_scale_factor,
        is_mobile=bool(viewport and viewport["width"] < 600),
        has_touch=bool(viewport and viewport["width"] < 600),
    )
    context.set_default_navigation_timeout(NAVIGATION_MS)
    if token:
        await context.add_init_script(f"localStorage.setItem('onair.token', {json.dumps(token)});")
    page = await context.new_page()
    viewer = Viewer(page)
    page.on("pageerror", lambda error: viewer.errors.append(str(error)))
    page.on("dialog", lambda dialog: viewer.dialogs.append(dialog.message))
    if before_load:
        await before_load(page)
    await page.goto(url)
    return viewer
