"""Screenshots of the viewer page in each state, at desktop and phone widths.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts a real backend on loopback with a fresh database, publishes live sample streams from the
studio core (a real face, moving), sets up each state through the public API and photographs
/watch/{stream} in Debian's Chromium: plain, co-host grid, PK battle, shopping with a flash sale.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.settings import Settings  # noqa: E402
from filters.synthetic import SyntheticFaceClip  # noqa: E402
from rtc.loopback import use_loopback_for_ice  # noqa: E402
from studio.core.frames import FrameFlow  # noqa: E402
from studio.core.publisher import Publisher  # noqa: E402
from studio.core.sources import SampleSource  # noqa: E402
from tests.backend.api_helpers import ApiUser  # noqa: E402
from tests.e2e.viewer_helpers import DESKTOP, PHONE, chromium, open_viewer  # noqa: E402
from tests.servers import running_server  # noqa: E402

ALL_PLAYING = """() => {
  const tiles = [...document.querySelectorAll('.tile')];
  return tiles.length > 0 && tiles.every((t) => t.dataset.state === 'playing' &&
    (t.classList.contains('is-cam-off') || t.querySelector('video').videoWidth > 0));
}"""


@dataclass
class Cast:
    """The people of the demo, signed in."""

    client: httpx.AsyncClient
    users: dict[str, ApiUser]

    def __getitem__(self, name: str) -> ApiUser:
        return self.users[name]


@contextlib.asynccontextmanager
async def publishing(base_url: str, user: ApiUser, face: str, seed: int) -> AsyncIterator[None]:
    """A live stream of a sample face (no audio) under the user's name."""
    source = SampleSource(480, 270, fps=15.0)
    source._clip = SyntheticFaceClip(480, 270, fps=15.0, seed=seed, face=face)
    flow = FrameFlow(source)
    publisher = Publisher(f"{base_url}/whip/{user.username}", flow, token=user.token)
    await publisher.start()
    try:
        await asyncio.wait_for(publisher.wait_live(), 20)
        yield
    finally:
        await publisher.stop()
        flow.stop()


async def make_cast(client: httpx.AsyncClient) -> Cast:
    people = {
        "mia": "Mia Chen",
        "leo": "Leo Martins",
        "ava": "Ava Okafor",
        "sam": "Sam Rivera",
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


Step = Callable[[Cast], Awaitable[None]]


@dataclass
class Scene:
    name: str
    setup: Callable[[Cast], Awaitable[str]]  # returns the stream to watch
    during: Step | None = None  # runs with the page open, just before the shot
    teardown: Step | None = None


SCENES = [
    Scene("plain", plain),
    Scene("cohost-grid", cohost_grid, teardown=end_cohost),
    Scene("pk-battle", pk_battle, during=pk_gifts_while_watching, teardown=cancel_battle),
    Scene("shopping-flash-sale", shopping_flash_sale),
]
FACES = [("mia", "astronaut", 1), ("leo", "grace_hopper", 2)]
FACES += [("ava", "grace_hopper", 3), ("sam", "astronaut", 4)]


async def shoot(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    use_loopback_for_ice()
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            db_path=Path(tmp) / "onair.sqlite3",
            jwt_secret="screenshots-" + "x" * 32,
            port=0,
            allow_topup=True,
            rate_per_second=1000.0,
            rate_burst=5000,
        )
        with running_server(settings) as live:
            async with httpx.AsyncClient(base_url=live.url) as client:
                cast = await make_cast(client)
                async with contextlib.AsyncExitStack() as streams, chromium() as browser:
                    for name, face, seed in FACES:
                        await streams.enter_async_context(
                            publishing(live.url, cast[name], face, seed)
                        )
                    for scene in SCENES:
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
                            path = out / f"{scene.name}-{size}.png"
                            await page.screenshot(path=path)
                            written.append(path)
                            await page.context.close()
                            if viewer.errors:
                                raise RuntimeError(f"{scene.name}/{size}: {viewer.errors}")
                        if scene.teardown is not None:
                            await scene.teardown(cast)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    for path in asyncio.run(shoot(args.out)):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
