"""Screenshots of the viewer page in each state, at desktop and phone widths.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [scene ...]

Starts a real backend on loopback with a fresh database, publishes live sample streams from the
studio core (a real face, moving), sets up each state through the public API and photographs
/watch/{stream} in Debian's Chromium: plain, co-host grid, PK battle, shopping with a flash sale,
chat, gifts on a live, the coin shop, a vertical (1080x1920) scene for phone viewers, and the
"Screen + camera" starter scene (a code editor on an X11 screen of its own, the face in a corner).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import mss
from playwright.async_api import Page

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.settings import Settings  # noqa: E402
from bench.scenes import x_display  # noqa: E402
from filters.synthetic import SyntheticFaceClip  # noqa: E402
from rtc.loopback import use_loopback_for_ice  # noqa: E402
from scripts.studio_screenshots import page_on_screen  # noqa: E402
from studio.core.broadcast import Broadcast, LiveTarget  # noqa: E402
from studio.core.scenes.model import SceneCollection, Transform  # noqa: E402
from studio.core.scenes.store import SCREEN_AND_CAMERA, starter_collection  # noqa: E402
from studio.core.source_switch import SAMPLE  # noqa: E402
from studio.core.sources import SampleSource  # noqa: E402
from tests.backend.api_helpers import ApiUser  # noqa: E402
from tests.e2e.viewer_helpers import DESKTOP, PHONE, Viewer, chromium, open_viewer  # noqa: E402
from tests.servers import LiveServer, running_server  # noqa: E402

ALL_PLAYING = """() => {
  const tiles = [...document.querySelectorAll('.tile')];
  return tiles.length > 0 && tiles.every((t) => t.dataset.state === 'playing' &&
    (t.classList.contains('is-cam-off') || t.querySelector('video').videoWidth > 0));
}"""
SCREEN_PAGE_BACKGROUND = (0x1E, 0x1F, 0x29)  # the body of studio_screenshots.SCREEN_PAGE


@dataclass
class Cast:
    """The people of the demo, signed in."""

    client: httpx.AsyncClient
    users: dict[str, ApiUser]

    def __getitem__(self, name: str) -> ApiUser:
        return self.users[name]


def vertical_scene() -> SceneCollection:
    """A phone-first scene: a gradient, the camera in the middle, a title above it."""
    scenes = SceneCollection(canvas="1080x1920")
    backdrop = scenes.add_source(
        "color", "Backdrop", {"color": "#1f2433", "gradient": "vertical", "color2": "#5a3df0"}
    )
    camera = scenes.add_source("camera", "Camera")
    title = scenes.add_source("text", "Title", {"text": "Live from my phone", "size": 96})
    scene = scenes.add_scene("Vertical")
    scenes.add_layer(scene.id, backdrop.id)
    scenes.add_layer(scene.id, camera.id, Transform.fitted((480, 270), (0, 560, 1080, 800)))
    scenes.add_layer(scene.id, title.id, Transform(90, 300, 900, 160, keep_aspect=True))
    scenes.switch(scene.id)
    return scenes


def screen_camera_scene() -> SceneCollection:
    """The starter scenes with "Screen + camera" on air: the X11 screen filling the canvas,
    the camera in the bottom-right corner."""
    scenes = starter_collection()
    scenes.switch(scenes.scene_named(SCREEN_AND_CAMERA).id)
    return scenes


async def screen_drawn(timeout: float = 30.0) -> None:
    """Wait until the X11 screen shows the code editor page (its background colour at the
    left edge, in the page's margin): the browser has started and drawn."""
    deadline = asyncio.get_running_loop().time() + timeout
    with mss.MSS() as screens:
        margin = {"left": 8, "top": screens.monitors[1]["height"] // 2, "width": 1, "height": 1}
        while screens.grab(margin).pixel(0, 0) != SCREEN_PAGE_BACKGROUND:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the browser did not draw the page on the X11 screen")
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def screen_on_air(base_url: str, user: ApiUser) -> AsyncIterator[None]:
    """A live stream of :func:`screen_camera_scene` under the user's name: a code editor (a page
    in Chromium, full screen on an Xvfb of its own unless there is a DISPLAY) with the
    astronaut's face as the camera."""
    with x_display(), tempfile.TemporaryDirectory() as tmp, page_on_screen(Path(tmp)):
        await screen_drawn()
        async with publishing(base_url, user, "astronaut", 6, screen_camera_scene()):
            yield


@contextlib.asynccontextmanager
async def publishing(
    base_url: str, user: ApiUser, face: str, seed: int, scenes: SceneCollection | None = None
) -> AsyncIterator[None]:
    """A live stream of a sample face (no audio) under the user's name; with ``scenes``, of
    their scene on air with the face as the camera."""
    source = SampleSource(480, 270, fps=15.0)
    source._clip = SyntheticFaceClip(480, 270, fps=15.0, seed=seed, face=face)
    broadcast = Broadcast()
    broadcast.use_source(source, SAMPLE)
    if scenes is not None:
        broadcast.use_scenes(scenes)
    try:
        target = LiveTarget(f"{base_url}/whip/{user.username}", user.token)
        publisher = await broadcast.go_live(target, audio=None)
        await asyncio.wait_for(publisher.wait_live(), 20)
        yield
    finally:
        await broadcast.close()


def demo_settings(folder: Path) -> Settings:
    """A backend for a demo in ``folder``: top-ups allowed, rate limits out of the way."""
    return Settings(
        db_path=folder / "onair.sqlite3",
        jwt_secret="screenshots-" + "x" * 32,
        port=0,
        allow_topup=True,
        rate_per_second=1000.0,
        rate_burst=5000,
        ip_rate_per_second=1000.0,
        ip_rate_burst=5000,
        guest_tokens_per_minute=60_000.0,
    )


async def make_cast(client: httpx.AsyncClient) -> Cast:
    people = {
        "mia": "Mia Chen",
        "leo": "Leo Martins",
        "ava": "Ava Okafor",
        "sam": "Sam Rivera",
        "zoe": "Zoe Park",
        "kai": "Kai Tanaka",
        "fan": "Noah",
        "fan2": "Lena K.",
        "fan3": "Ibrahim",
    }
    users = {}
    for username, display in people.items():
        response = await client.post(
            "/api/auth/register",
            json={"username": username, "password": "onair-demo", "displayName": display},
        )
        data = response.json()["data"]
        users[username] = ApiUser(client, data["user"]["id"], username, data["token"])
        await users[username].data("POST", "/api/wallet/topup", json={"coins": 20_000})
    return Cast(client, users)


async def plain(cast: Cast) -> str:
    return "mia"


async def vertical(cast: Cast) -> str:
    return "zoe"


async def screen_camera(cast: Cast) -> str:
    details = {"title": "Live coding: a tiny web server", "category": "Education"}
    await cast["kai"].data("PUT", "/api/streams/kai/details", json=details)
    return "kai"


async def cohost_grid(cast: Cast) -> str:
    mia = cast["mia"]
    session = await mia.data(
        "POST", "/api/multihost", json={"title": "Friday panel", "type": "panel", "layout": "grid"}
    )
    await mia.data("POST", f"/api/multihost/{session['id']}/start")
    for name in ("leo", "ava", "sam"):
        await mia.data(
            "POST", f"/api/multihost/{session['id']}/invite", json={"userId": cast[name].id}
        )
        await cast[name].data("POST", f"/api/multihost/{session['id']}/accept")
    await cast["ava"].data(
        "PUT", f"/api/multihost/{session['id']}/settings", json={"audioEnabled": False}
    )
    await cast["sam"].data(
        "PUT", f"/api/multihost/{session['id']}/settings", json={"videoEnabled": False}
    )
    return "mia"


async def end_cohost(cast: Cast) -> None:
    sessions = await cast["mia"].data("GET", f"/api/multihost/user/{cast['mia'].id}")
    for session in sessions:
        if session["status"] in ("scheduled", "live"):
            await cast["mia"].data("POST", f"/api/multihost/{session['id']}/end")


async def pk_battle(cast: Cast) -> str:
    mia, leo = cast["mia"], cast["leo"]
    battle = await mia.data(
        "POST", "/api/pk-battles", json={"opponent": leo.id, "duration": 5, "title": "Karaoke"}
    )
    await leo.data("POST", f"/api/pk-battles/{battle['id']}/accept")
    for fan, gift, to, quantity in (
        ("fan", "crown", mia, 3),
        ("fan2", "rocket", leo, 1),
        ("fan3", "star", mia, 5),
        ("fan2", "heart", leo, 4),
        ("fan3", "rose", leo, 9),
    ):
        await cast[fan].data(
            "POST",
            f"/api/pk-battles/{battle['id']}/gift",
            json={"giftId": gift, "quantity": quantity, "toHost": to.id},
        )
    return "mia"


async def pk_gifts_while_watching(cast: Cast) -> None:
    """Gifts sent while the page is open, so the shot shows bursts and the activity feed."""
    active = await cast["fan"].data("GET", "/api/pk-battles/active/list")
    battle = active[0]
    for fan, gift, side in (("fan", "diamond", "host1"), ("fan3", "heart", "host2")):
        await cast[fan].data(
            "POST",
            f"/api/pk-battles/{battle['id']}/gift",
            json={"giftId": gift, "quantity": 1, "toHost": battle[side]["id"]},
        )


async def cancel_battle(cast: Cast) -> None:
    for battle in await cast["mia"].data("GET", "/api/pk-battles/active/list"):
        await cast["mia"].data("DELETE", f"/api/pk-battles/{battle['id']}")


async def shopping_flash_sale(cast: Cast) -> str:
    mia = cast["mia"]
    product = await mia.data(
        "POST",
        "/api/products",
        json={
            "name": "Aurora wireless earbuds",
            "description": "Noise cancelling, 30 h battery, charging case in midnight blue.",
            "price": 1200,
            "stock": 40,
        },
    )
    session = await mia.data("POST", "/api/live-shopping", json={"title": "Gadget hour"})
    base = f"/api/live-shopping/{session['id']}"
    await mia.data("POST", f"{base}/start")
    flash = {"price": 790, "quantity": 20, "expiresIn": 9 * 60_000 + 41_000}
    await mia.data(
        "POST",
        f"{base}/products",
        json={"productId": product["id"], "livePrice": 990, "flashSale": flash},
    )
    await mia.data("POST", f"{base}/products/pin", json={"productId": product["id"]})
    voucher = {"code": "LIVE10", "type": "percent", "value": 10}
    await mia.data("POST", f"{base}/vouchers", json=voucher)
    for fan, quantity in (("fan2", 2), ("fan3", 4)):
        await cast[fan].data(
            "POST", f"{base}/orders", json={"productId": product["id"], "quantity": quantity}
        )
    return "mia"


async def chat(cast: Cast) -> str:
    """A lively chat under Mia's stream: a moderator, a pinned question, a gift and arrivals."""
    mia = cast["mia"]
    path = "/api/streams/mia/chat"
    await mia.data("POST", f"/api/streams/mia/moderators/{cast['sam'].id}")
    lines = [
        ("fan2", "hiii Mia 👋 first time catching you live"),
        ("fan3", "the lighting looks amazing today 🔥"),
        ("mia", "Thank you all! Giveaway at the top of the hour"),
        ("sam", "Welcome in! Be kind, have fun 💜"),
        ("fan3", "<b>is this bold?</b> (nope, just text)"),
    ]
    for who, text in lines:
        await cast[who].data("POST", path, json={"text": text})
    question = await cast["fan2"].data("POST", path, json={"text": "How do I enter the giveaway?"})
    await mia.data("POST", f"{path}/pin", json={"messageId": question["message"]["id"]})
    await cast["ava"].data("POST", path, json={"text": "following from Lagos 🇳🇬"})
    return "mia"


async def followed_and_titled(cast: Cast) -> str:
    """Mia's live has a title and a category, and two fans follow her."""
    details = {"title": "Morning coffee & your questions", "category": "Just chatting"}
    await cast["mia"].data("PUT", "/api/streams/mia/details", json=details)
    for fan in ("fan2", "fan3"):
        await cast[fan].data("POST", f"/api/users/{cast['mia'].id}/follow")
    return "mia"


async def gifts_while_watching(cast: Cast) -> None:
    """Gifts and likes on a live without a battle, sent with the page open: bursts, feed, chat
    lines, the likes counter."""
    for fan, gift, quantity in (("fan2", "rocket", 1), ("fan3", "heart", 5), ("fan", "crown", 1)):
        await cast[fan].data(
            "POST", "/api/streams/mia/gift", json={"giftId": gift, "quantity": quantity}
        )
    for fan, likes in (("fan2", 24), ("fan3", 18)):
        await cast[fan].data("POST", "/api/streams/mia/likes", json={"count": likes})


async def open_coin_shop(page: Page) -> None:
    await page.get_by_role("button", name="Get coins").click()
    await page.get_by_role("button", name="Buy 550 coins for $4.99").wait_for()


Step = Callable[[Cast], Awaitable[None]]
SCREEN_CAMERA = "screen-camera"


@dataclass
class Scene:
    name: str
    setup: Callable[[Cast], Awaitable[str]]  # returns the stream to watch
    during: Step | None = None  # runs with the page open, just before the shot
    teardown: Step | None = None
    show: str | None = None  # a part of the page scrolled into view for the shot
    act: Callable[[Page], Awaitable[None]] | None = None  # on the page, just before the shot


SCENES = [
    Scene("plain", plain),
    Scene("cohost-grid", cohost_grid, teardown=end_cohost),
    Scene("pk-battle", pk_battle, during=pk_gifts_while_watching, teardown=cancel_battle),
    Scene("shopping-flash-sale", shopping_flash_sale),
    Scene("chat", chat, show="#chat"),
    Scene("gifts", followed_and_titled, during=gifts_while_watching),
    Scene("coin-shop", plain, act=open_coin_shop),
    Scene("vertical", vertical),
    Scene(SCREEN_CAMERA, screen_camera),
]
FACES = [("mia", "astronaut", 1), ("leo", "grace_hopper", 2)]
FACES += [("ava", "grace_hopper", 3), ("sam", "astronaut", 4)]


@contextlib.asynccontextmanager
async def demo_backend() -> AsyncIterator[tuple[LiveServer, Cast]]:
    """A fresh backend on loopback with the demo's people signed up."""
    use_loopback_for_ice()
    with tempfile.TemporaryDirectory() as tmp, running_server(demo_settings(Path(tmp))) as live:
        async with httpx.AsyncClient(base_url=live.url) as client:
            yield live, await make_cast(client)


async def shoot(out: Path, only: list[str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    async with (
        demo_backend() as (live, cast),
        contextlib.AsyncExitStack() as streams,
        chromium() as browser,
    ):
        for name, face, seed in FACES:
            await streams.enter_async_context(publishing(live.url, cast[name], face, seed))
        upright = publishing(live.url, cast["zoe"], "astronaut", 5, vertical_scene())
        await streams.enter_async_context(upright)
        scenes = [s for s in SCENES if not only or s.name in only]
        if any(scene.name == SCREEN_CAMERA for scene in scenes):  # an X11 screen and a browser
            await streams.enter_async_context(screen_on_air(live.url, cast["kai"]))
        for scene in scenes:
            stream = await scene.setup(cast)
            for size, viewport, scale in (("desktop", DESKTOP, 1), ("phone", PHONE, 2)):
                viewer = await open_viewer(
                    browser,
                    live.url,
                    stream,
                    token=cast["fan"].token,
                    viewport=viewport,
                    device_scale_factor=scale,
                )
                page = viewer.page
                await page.wait_for_function(ALL_PLAYING, timeout=30_000)
                if scene.during is not None:
                    await scene.during(cast)
                    await page.wait_for_timeout(450)
                else:
                    await page.wait_for_timeout(800)
                if scene.show is not None:
                    await page.locator(scene.show).scroll_into_view_if_needed()
                if scene.act is not None:
                    await scene.act(page)
                written.append(await keep(viewer, out / f"{scene.name}-{size}.png"))
            if scene.teardown is not None:
                await scene.teardown(cast)
    return written


async def keep(viewer: Viewer, path: Path) -> Path:
    """Save the page as ``path`` and close it; a script error on it fails the run."""
    await viewer.page.screenshot(path=path)
    await viewer.page.context.close()
    if viewer.errors:
        raise RuntimeError(f"{path.stem}: {viewer.errors}")
    return path


def main(
    shoot: Callable[[Path, list[str]], Awaitable[list[Path]]] = shoot, doc: str = __doc__
) -> None:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("scenes", nargs="*", help="only these scenes or sizes (default: all)")
    args = parser.parse_args()
    for path in asyncio.run(shoot(args.out, args.scenes)):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
