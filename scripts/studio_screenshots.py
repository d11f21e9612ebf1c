"""Screenshots of the studio for the README.

    xvfb-run -a .venv/bin/python scripts/studio_screenshots.py [scene ...]

Starts a backend on loopback, opens the studio as a streamer, drives it into each state
through the real API (a PK battle with gifts, ...) and saves docs/screenshots/studio-*.png.
Works offscreen too (QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.settings import Settings  # noqa: E402
from tests.servers import LiveServer, running_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/lib/chromium/chromium"
SCREEN_PAGE = """<!doctype html><meta charset="utf-8"><title>demo.py</title>
<style>
body { margin: 0; background: #1e1f29; color: #d8dae5; font: 28px/1.6 DejaVu Sans Mono; }
header { background: #16171f; padding: 14px 32px; color: #8b8fa8; }
pre { margin: 0; padding: 36px 48px; font: inherit; }
k { color: #ff79c6; } s { color: #f1fa8c; text-decoration: none; } f { color: #50fa7b; }
c { color: #6272a4; } n { color: #bd93f9; }
</style>
<header>demo.py — live coding: a tiny web server</header>
<pre><k>import</k> asyncio
<k>from</k> aiohttp <k>import</k> web

<k>async def</k> <f>hello</f>(request):
    name = request.query.get(<s>"name"</s>, <s>"chat"</s>)
    <k>return</k> web.Response(text=<s>f"Hello, {name}!"</s>)

app = web.Application()
app.router.add_get(<s>"/"</s>, hello)
<c># next: stream the answer with server-sent events</c>
web.run_app(app, port=<n>8080</n>)</pre>"""


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


async def scenes(
    live: LiveServer, config: Path, only: set[str], size: tuple[int, int], suffix: str
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from filters.presets import builtin
    from studio.core.settings_store import SettingsStore, StudioSettings
    from studio.core.state import PKPhase
    from studio.ui.app import build_window
    from studio.ui.go_live import GoLive
    from studio.ui.live_details import LiveDetailsDialog
    from studio.ui.main_window import MainWindow
    from studio.ui.panels.chat import ChatPanel
    from studio.ui.panels.cohost import CohostPanel
    from studio.ui.panels.effects import EffectsPanel
    from studio.ui.panels.pk import PKPanel
    from studio.ui.panels.shopping import ShoppingPanel

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

    def open_studio(username: str, token: str) -> MainWindow:
        store = SettingsStore(config / username)
        store.save(StudioSettings(backend_url=base, username=username, token=token))
        studio = build_window(store=store)
        studio.resize(*size)
        studio.show()
        studio.start()
        return studio

    window = open_studio("mia", alice_token)
    await until(lambda: window.preview.frames_shown > 5 and window.session.signed_in)
    mia_button = window.toolbar.findChild(GoLive)
    assert isinstance(mia_button, GoLive)
    await until(lambda: mia_button.output_menu.measuring is None, timeout=60)  # first start
    await asyncio.sleep(1.0)

    def shot(name: str, widget: object = window) -> None:
        if not only or name in only:
            path = OUT / f"studio-{name}{suffix}.png"
            widget.grab().save(str(path))  # type: ignore[attr-defined]
            print("saved", path.relative_to(ROOT))

    shot("main")

    # Scenes: "Screen + camera" (a browser on the captured X11 screen), the camera selected
    # on the preview with its handles, the Scenes and Sources docks under it.
    await scene_editor(window, config, shot)
    await audio_mixer(window, config, shot)
    if only and only <= {"main", "scenes", "scenes-text", "mixer"}:  # nothing further asked for
        window.close()
        await window.shutdown()
        return

    async def go_live(studio: MainWindow, title: str = "", category: str = "") -> None:
        """Press Go Live and answer its question (the live's title and category), as typed."""
        button = studio.toolbar.findChild(GoLive)
        assert isinstance(button, GoLive)

        def answer() -> None:
            question = QApplication.activeModalWidget()
            assert isinstance(question, LiveDetailsDialog), "Go Live asked nothing"
            if title:  # typed in, and shown as a streamer sees the question
                question.title.setText(title)
                question.category.setCurrentText(category)
                shot("go-live", question)
            question.go_button.click()

        QTimer.singleShot(500, answer)  # the question is open by then: click() waits on it
        button.click()
        await until(
            lambda: "LIVE" in button.health.state.text() and "fps" in button.health.numbers.text(),
            timeout=30,
        )

    def preset(studio: MainWindow, name: str) -> None:
        effects = studio.docks["effects"].widget()
        assert isinstance(effects, EffectsPanel)
        effects.apply_preset(next(p for p in builtin() if name in p.name))

    async def flowing() -> None:
        """Until the health strip shows frames going out (not an encoder's restart)."""
        numbers = button.health.numbers
        await until(lambda: "fps" in numbers.text() and " 0 fps" not in numbers.text(), 30)

    await go_live(window, "Glazing day at the pottery wheel", "Art")
    button = window.toolbar.findChild(GoLive)
    assert isinstance(button, GoLive)
    await asyncio.sleep(3.0)
    shot("live")
    await outputs_scene(window, config, shot)

    # Leo, Mia's opponent and co-host: a second studio, live too, with another look.
    leo = open_studio("leo", bob_token)
    await until(lambda: leo.preview.frames_shown > 5 and leo.session.signed_in)
    preset(leo, "Party")
    await go_live(leo)
    window.raise_()
    window.activateWindow()

    effects = window.docks["effects"].widget()
    assert isinstance(effects, EffectsPanel)
    preset(window, "lam")
    window.compare_button.setChecked(True)
    await asyncio.sleep(2.5)
    shot("effects")
    shot("effects-panel", effects)
    window.compare_button.setChecked(False)

    # Voice effects: the Voice tab with a deeper pitch and a little echo on the live audio.
    effects.tabs.setCurrentIndex(
        next(i for i in range(effects.tabs.count()) if effects.tabs.tabText(i) == "Voice")
    )
    for voice_id in ("voice.pitch", "voice.echo"):
        effects.cards[voice_id].enable.setChecked(True)
    window.broadcast.voice.set_value("voice.pitch", "semitones", -3.0)
    effects.cards["voice.pitch"].show_state(True, window.broadcast.voice.values("voice.pitch"))
    await asyncio.sleep(1.5)
    shot("effects-voice", effects)
    effects.tabs.setCurrentIndex(0)

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
    opponent = pk.versus.stage
    await until(lambda: opponent.frame_counts.get(bob_id, 0) > 10, timeout=30)
    await asyncio.sleep(1.0)
    await flowing()
    shot("pk")
    shot("pk-panel", pk)

    # Leo's stream drops: his tile says so instead of freezing on his last frame.
    leo_button = leo.toolbar.findChild(GoLive)
    assert isinstance(leo_button, GoLive)
    await leo_button.stop()
    await until(lambda: bob_id in opponent.status, timeout=30)
    await asyncio.sleep(0.5)
    shot("pk-reconnecting", opponent)
    await go_live(leo)
    call(base, alice_token, "DELETE", f"/api/pk-battles/{battle['id']}")
    await until(lambda: pk.phase is PKPhase.RESULT)
    pk.dismiss()

    # Co-hosting: Mia opens a 2×2 grid session, Leo joins from his studio.
    cohost = window.docks["cohost"].widget()
    guest = leo.docks["cohost"].widget()
    assert isinstance(cohost, CohostPanel) and isinstance(guest, CohostPanel)
    window.docks["cohost"].raise_()
    cohost.create_session("Late Night Talk", "podcast", "grid", "2x2")
    await until(lambda: cohost.session is not None)
    cohost.start()
    await until(lambda: cohost.session is not None and cohost.session.status == "live")
    assert cohost.session is not None
    await window.session.api.invite_cohost(cohost.session.id, bob_id, message="Join me!")
    await until(lambda: guest.start_page.accept.isEnabled())
    guest.start_page.accept.click()
    await until(lambda: len(cohost.stage.tiles) == 2, timeout=30)
    await until(
        lambda: all(cohost.stage.frame_counts.get(i, 0) > 10 for i in (alice_id, bob_id)),
        timeout=30,
    )
    await asyncio.sleep(1.0)
    await flowing()
    shot("cohost")
    cohost.end()
    await until(lambda: cohost.session is None)

    # Live shopping: products in the live shop, one pinned, one on a flash sale, orders in.
    shop = window.docks["shopping"].widget()
    assert isinstance(shop, ShoppingPanel)
    window.docks["shopping"].raise_()
    await until(lambda: shop.pages.currentWidget() is shop.setup_page)
    shop.setup_page.title.setText("Glow-up Friday")
    shop.setup_page.open.click()
    await until(lambda: shop.pages.currentWidget() is shop.tabs)
    products = shop.products_tab
    catalog = (
        ("Silk lip tint", 180, 40, None),
        ("Glow serum 30 ml", 420, 25, (320, 10)),
        ("Ring light mini", 650, 12, None),
        ("Makeup sponge set", 90, 80, None),
    )
    for row, (name, price, stock, flash) in enumerate(catalog):
        products.name.setText(name)
        products.price.setValue(price)
        products.stock.setValue(stock)
        products.submit.click()
        await until(lambda n=row + 1: products.catalog.count() == n)  # type: ignore[misc]
        products.catalog.setCurrentRow(
            next(
                i
                for i in range(products.catalog.count())
                if name in products.catalog.item(i).text()
            )
        )
        products.flash.setChecked(flash is not None)
        if flash is not None:
            products.flash_price.setValue(flash[0])
            products.flash_quantity.setValue(flash[1])
            products.flash_seconds.setValue(300)
        products.add.click()
        await until(lambda n=row + 1: products.live.count() == n)  # type: ignore[misc]
    serum = next(i for i in range(products.live.count()) if "serum" in products.live.item(i).text())
    products.live.setCurrentRow(serum)
    products.pin.click()
    await until(lambda: products.live.item(serum).text().startswith("📌"))
    buys = ((fans[0], "serum", 2), (fans[1], "lip", 1), (fans[2], "serum", 1), (fans[3], "Ring", 1))
    for (_, token), name, quantity in buys:
        live_id = next(
            products.live.item(i).data(256)
            for i in range(products.live.count())
            if name in products.live.item(i).text()
        )
        order = {"productId": live_id, "quantity": quantity}
        call(base, token, "POST", f"/api/live-shopping/{shop.session_id}/orders", json=order)
        await asyncio.sleep(0.3)
    await until(lambda: shop.orders_tab.feed.count() == len(buys))
    await asyncio.sleep(1.0)
    await flowing()
    shot("shopping")

    # Chat: the dock with viewers' messages, one pinned, and the on-stream chat overlay.
    chat = window.docks["chat"].widget()
    assert isinstance(chat, ChatPanel)
    window.docks["chat"].raise_()
    window.broadcast.chain.set_enabled("overlay.chat", True)
    said = (
        (fans[0], "hi Mia! the glow serum looks amazing"),
        (fans[1], "first time here, love the vibe"),
        (fans[2], "what shade is the lip tint?"),
        (fans[3], "can you show the ring light again?"),
        (fans[0], "just ordered 2 🎉"),
    )
    for (_, token), text in said:
        call(base, token, "POST", "/api/streams/mia/chat", json={"text": text})
        await asyncio.sleep(0.3)
    listing = chat.chat_page.messages
    await until(
        lambda: sum("Sofia R." in listing.item(i).text() for i in range(listing.count())) == 2
    )
    shade = next(i for i in range(listing.count()) if "shade" in listing.item(i).text())
    listing.setCurrentRow(shade)
    chat.chat_page.pin.click()
    await until(lambda: chat.chat_page.pinned_card.isVisible())
    listing.setCurrentRow(listing.count() - 2)
    await asyncio.sleep(1.0)
    await flowing()
    shot("chat")

    for studio in (leo, window):
        studio.end_guards.clear()  # still live: close without asking
        studio.close()
        await studio.shutdown()


@contextlib.contextmanager
def page_on_screen(folder: Path) -> Iterator[None]:
    """Chromium showing :data:`SCREEN_PAGE` full screen on the X11 display (if there is one:
    without one the screen layer shows why it cannot capture)."""
    if not os.environ.get("DISPLAY"):
        yield
        return
    import mss

    page = folder / "demo.html"
    page.write_text(SCREEN_PAGE, encoding="utf-8")
    with mss.MSS() as screens:
        screen = screens.monitors[1]
    flags = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--kiosk"]
    flags += ["--window-position=0,0", f"--window-size={screen['width']},{screen['height']}"]
    browser = subprocess.Popen(
        [CHROMIUM, *flags, f"--user-data-dir={folder / 'chromium'}", page.as_uri()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        browser.terminate()
        browser.wait(timeout=10)


async def scene_editor(window: object, folder: Path, shot: Callable[..., None]) -> None:
    from studio.ui.main_window import MainWindow
    from studio.ui.panels.scenes import ScenesPanel

    assert isinstance(window, MainWindow)
    panel = window.docks["scenes"].widget()
    assert isinstance(panel, ScenesPanel)
    editor = panel.editor
    first = editor.current_scene
    with page_on_screen(folder):
        editor.switch_to(next(row.key for row in editor.scenes() if row.name == "Screen + camera"))
        editor.select(next(row.key for row in editor.layers() if row.kind_label == "Camera"))
        await asyncio.sleep(6.0)  # the browser starts and draws; the fade ends
        shot("scenes")
    # The properties of a text layer, generated from the text source's declared parameters.
    editor.switch_to(next(row.key for row in editor.scenes() if row.name == "Starting soon"))
    editor.select(next(row.key for row in editor.layers() if row.name == "Starting soon"))
    await asyncio.sleep(1.0)
    shot("scenes-text", window.docks["sources"])
    editor.switch_to(first)
    await asyncio.sleep(0.5)


def music_clip(folder: Path, seconds: float = 20.0) -> Path:
    """A video with a beat: a chord whose loudness swells and falls twice a second, so the
    meters move (made by Debian's ffmpeg)."""
    path = folder / "intro-music.mp4"
    chord = "(sin(2*PI*220*t)+sin(2*PI*277*t)+sin(2*PI*330*t))/3"
    beat = f"0.5*{chord}*(0.35+0.65*exp(-5*mod(t\\,0.5)))"  # \\, : not a filter break
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"gradients=size=640x360:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"aevalsrc={beat}|{beat}:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return path


async def audio_mixer(window: object, folder: Path, shot: Callable[..., None]) -> None:
    """The Audio mixer dock (Ctrl+M) with its meters moving: the sample tone as the voice, a
    music clip on air turned down a little, a second clip on air muted."""
    from studio.core.scenes.model import Transform
    from studio.ui.main_window import MainWindow
    from studio.ui.panels.audio_mixer import AudioMixerPanel

    assert isinstance(window, MainWindow)
    scenes, mixer = window.broadcast.scenes, window.broadcast.mixer
    panel = window.docks["mixer"].widget()
    assert scenes is not None and isinstance(panel, AudioMixerPanel)
    clip = str(music_clip(folder))
    music = scenes.add_source("media", "Intro music", {"path": clip})
    replay = scenes.add_source("media", "Game replay", {"path": clip})
    for source, x in ((music, 40), (replay, 300)):
        scenes.add_layer(scenes.current, source.id, Transform(x, 40, 240, 135))
    mixer.set_volume(music.id, -4.5)
    mixer.set_muted(replay.id, True)
    window.docks["mixer"].raise_()
    await until(lambda: panel.strips[music.id].meter.levels.peak_db > -30, timeout=30)
    await asyncio.sleep(2.0)
    shot("mixer", window.docks["mixer"])
    for source in (music, replay):
        scenes.remove_source(source.id)
    window.docks["pk"].raise_()  # as on a first run


async def outputs_scene(window: object, config: Path, shot: Callable[..., None]) -> None:
    """The Outputs dock while live: one destination live (a real nginx RTMP server), one
    reconnecting (nothing listens), one waiting for its server URL; a recording running."""
    from bench._rtmp_server import rtmp_server
    from studio.core.destinations import Destination
    from studio.ui.main_window import MainWindow
    from studio.ui.panels.outputs import OutputsPanel

    assert isinstance(window, MainWindow)
    panel = window.docks["outputs"].widget()
    assert isinstance(panel, OutputsPanel)
    deck = panel.deck
    panel.set_recordings_folder(str(config / "recordings"))
    with rtmp_server(config / "rtmp") as rtmp:
        small = {"resolution": "640x360", "speed": "ultrafast"}
        youtube = Destination.from_preset("youtube").with_values(server=rtmp.url, **small)
        twitch = Destination.from_preset("twitch").with_values(
            server="rtmp://127.0.0.1:9/app", **small
        )
        deck.add(youtube, "youtube-key")
        deck.add(twitch, "twitch-key")
        deck.add(Destination.from_preset("tiktok"), "tiktok-key")  # live: they start at once
        await deck.start_recording()
        window.docks["outputs"].raise_()
        card, retrying = panel.cards[youtube.id].status, panel.cards[twitch.id].status
        await until(lambda: card.text().startswith("Live"), timeout=30)
        await until(lambda: panel.indicator.text().startswith("● REC 0:00:05"), timeout=30)
        await until(lambda: "Reconnecting in" in retrying.text(), timeout=30)
        shot("outputs", panel)
        panel.edit(youtube.id)
        await asyncio.sleep(0.5)
        shot("outputs-destination", panel.dialog)
        panel.dialog.reject()
        await deck.stop_recording()
        await deck.stop_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="scene names to save (default: all)")
    parser.add_argument("--size", default="1920x1080", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--suffix", default="", help="added to each file name: studio-pk-1280")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
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
            loop.run_until_complete(
                scenes(live, Path(tmp), set(args.only), (width, height), args.suffix)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
