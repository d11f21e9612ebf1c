"""Screenshots of the studio for the README.

    xvfb-run -a .venv/bin/python scripts/studio_screenshots.py [scene ...]

Starts a backend on loopback, opens the studio as a streamer, drives it into each state
through the real API (a PK battle with gifts, ...) and saves docs/screenshots/studio-*.png.
Works offscreen too (QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.settings import Settings  # noqa: E402
from tests.servers import LiveServer, running_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


PASSWORD = "screenshot-pass"


def account(base: str, username: str, display: str, coins: int = 0) -> tuple[str, str]:
    """A new account (id, token), topped up with ``coins``."""
    body = {"username": username, "password": PASSWORD, "displayName": display}
    data = httpx.post(f"{base}/api/auth/register", json=body, timeout=10).json()["data"]
    if coins:
        call(base, data["token"], "POST", "/api/wallet/topup", json={"coins": coins})
    return data["user"]["id"], data["token"]


def call(base: str, token: str, method: str, path: str, **kwargs: object) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.request(method, base + path, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]
    response.raise_for_status()
    return response.json()["data"]  # type: ignore[no-any-return]


async def until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the studio did not reach the expected state")
        await asyncio.sleep(0.05)


async def scenes(live: LiveServer, config: Path, only: set[str]) -> None:
    from studio.core.settings_store import SettingsStore, StudioSettings
    from studio.core.state import PKPhase
    from studio.ui.app import build_window
    from studio.ui.panels.pk import PKPanel

    base = live.url
    alice_id, alice_token = account(base, "mia", "Mia Chen", coins=2_480)
    bob_id, bob_token = account(base, "leo", "Leo Park")
    fans = [
        account(base, name, display, coins=5_000)
        for name, display in (
            ("sofia", "Sofia R."),
            ("jay", "Jay Min"),
            ("nora", "Nora K."),
            ("sam", "Sam Wells"),
        )
    ]
    store = SettingsStore(config / "mia")
    store.save(StudioSettings(backend_url=base, username="mia", token=alice_token))
    window = build_window(store=store)
    window.resize(1600, 940)
    window.show()
    window.start()
    await until(lambda: window.preview.frames_shown > 5 and window.session.signed_in)
    await asyncio.sleep(1.0)

    def shot(name: str, widget: object = window) -> None:
        if not only or name in only:
            path = OUT / f"studio-{name}.png"
            widget.grab().save(str(path))  # type: ignore[attr-defined]
            print("saved", path.relative_to(ROOT))

    shot("main")

    from studio.ui.go_live import GoLive

    go_live = window.toolbar.findChild(GoLive)
    assert isinstance(go_live, GoLive)
    go_live.click()
    await until(
        lambda: "LIVE" in go_live.health.state.text() and "fps" in go_live.health.numbers.text(),
        timeout=30,
    )
    await asyncio.sleep(3.0)
    shot("live")

    from studio.ui.panels.effects import EffectsPanel

    effects = window.docks["effects"].widget()
    assert isinstance(effects, EffectsPanel)
    glam = next(p for p in __import__("filters.presets").presets.builtin() if "lam" in p.name)
    effects.apply_preset(glam)
    window.compare_button.setChecked(True)
    await asyncio.sleep(2.5)
    shot("effects")
    shot("effects-panel", effects)
    window.compare_button.setChecked(False)

    pk = window.docks["pk"].widget()
    assert isinstance(pk, PKPanel)
    battle = call(
        base,
        alice_token,
        "POST",
        "/api/pk-battles",
        json={"opponent": bob_id, "duration": 5, "title": "Friday Night Showdown"},
    )
    await until(lambda: pk.phase is PKPhase.OUTGOING)
    call(base, bob_token, "POST", f"/api/pk-battles/{battle['id']}/accept")
    await until(lambda: pk.phase is PKPhase.LIVE)
    gifts = [
        (fans[0], "crown", 2, alice_id),
        (fans[1], "rocket", 1, bob_id),
        (fans[2], "star", 5, alice_id),
        (fans[3], "heart", 9, bob_id),
        (fans[0], "diamond", 1, alice_id),
        (fans[2], "rose", 20, alice_id),
    ]
    for (_, token), gift_id, quantity, to in gifts:
        call(
            base,
            token,
            "POST",
            f"/api/pk-battles/{battle['id']}/gift",
            json={"giftId": gift_id, "quantity": quantity, "toHost": to},
        )
        await asyncio.sleep(0.3)
    await until(lambda: pk.live_page.feed.count() == len(gifts))
    await asyncio.sleep(1.0)
    shot("pk")
    shot("pk-panel", pk)

    window.close()
    await window.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="scene names to save (default: all)")
    args = parser.parse_args()
    import qasync

    from studio.ui.app import qt_application

    OUT.mkdir(parents=True, exist_ok=True)
    app = qt_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            db_path=Path(tmp) / "demo.sqlite3",
            jwt_secret="s" * 40,
            demo=True,
            allow_topup=True,
            port=0,
        )
        with running_server(settings) as live, loop:
            loop.run_until_complete(scenes(live, Path(tmp), set(args.only)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
