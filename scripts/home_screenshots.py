"""Screenshots of the home page (/) at desktop and phone widths.

    .venv/bin/python scripts/home_screenshots.py [--out docs/screenshots]

A real backend on loopback with a fresh database; four streamers go live from the studio core
(a PK battle, a shop with a flash sale, a titled live), a fifth was live earlier and is offline
now. The viewer follows some of them, has unread "went live" notifications, and a few
listeners watch each stream so the viewer counts differ.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.screenshots import Cast, demo_backend, keep, main, publishing  # noqa: E402
from tests.backend.api_helpers import Listener  # noqa: E402
from tests.e2e.viewer_helpers import DESKTOP, PHONE, chromium, open_page  # noqa: E402
from wire.events import stream_room  # noqa: E402

CARDS_WITH_STILLS = """(n) => {
  const images = [...document.querySelectorAll('.card-media img')];
  return images.length >= n && images.every((img) => img.complete && img.naturalWidth > 0);
}"""
TITLES = {
    "mia": ("Karaoke night: your requests", "Music"),
    "ava": ("Gadget hour: earbuds at 790", "Shopping"),
    "sam": ("Sunday sketching, come hang out", "Art"),
}
WATCHERS = {"mia": 5, "leo": 3, "ava": 2, "sam": 1}
LIVE = [
    ("mia", "astronaut", 1),
    ("leo", "grace_hopper", 2),
    ("ava", "grace_hopper", 3),
    ("sam", "astronaut", 4),
]


async def set_the_scene(cast: Cast) -> None:
    for name, (title, category) in TITLES.items():
        body = {"title": title, "category": category}
        await cast[name].data("PUT", f"/api/streams/{name}/details", json=body)
    for name in ("leo", "sam", "fan2"):
        await cast["fan"].data("POST", f"/api/users/{cast[name].id}/follow")
    battle = await cast["mia"].data(
        "POST", "/api/pk-battles", json={"opponent": cast["leo"].id, "duration": 5}
    )
    await cast["leo"].data("POST", f"/api/pk-battles/{battle['id']}/accept")
    ava = cast["ava"]
    product = await ava.data(
        "POST", "/api/products", json={"name": "Aurora earbuds", "price": 1200, "stock": 40}
    )
    session = await ava.data("POST", "/api/live-shopping", json={"title": "Gadget hour"})
    base = f"/api/live-shopping/{session['id']}"
    await ava.data("POST", f"{base}/start")
    flash = {"price": 790, "quantity": 20, "expiresIn": 9 * 60_000}
    await ava.data(
        "POST",
        f"{base}/products",
        json={"productId": product["id"], "livePrice": 990, "flashSale": flash},
    )


async def shoot(out: Path, only: list[str]) -> list[Path]:
    """The home page on desktop and phone (``only``: "desktop" or "phone")."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    async with demo_backend() as (live, cast):
        async with publishing(live.url, cast["fan2"], "grace_hopper", 9):
            pass  # Lena was live earlier: she is in the offline section
        await set_the_scene(cast)
        async with contextlib.AsyncExitStack() as stack, chromium() as browser:
            for name, face, seed in LIVE:
                await stack.enter_async_context(publishing(live.url, cast[name], face, seed))
            for name, n in WATCHERS.items():
                for _ in range(n):
                    listener = await stack.enter_async_context(
                        Listener(live.ws_url, cast["fan3"].token)
                    )
                    await listener.join(stream_room(name))
            for size, viewport, scale in (("desktop", DESKTOP, 1), ("phone", PHONE, 2)):
                if only and size not in only:
                    continue
                home = await open_page(
                    browser,
                    f"{live.url}/",
                    token=cast["fan"].token,
                    viewport=viewport,
                    device_scale_factor=scale,
                )
                page = home.page
                await page.wait_for_function(CARDS_WITH_STILLS, arg=len(LIVE), timeout=30_000)
                await page.locator("#bell-count").wait_for()
                await page.wait_for_timeout(300)
                written.append(await keep(home, out / f"home-{size}.png"))
    return written


if __name__ == "__main__":
    main(shoot, __doc__)
