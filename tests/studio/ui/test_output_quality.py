"""The Output menu (codec + quality, Auto measured on this computer), the keep-up banner with
its one-click actions, and the health strip's live time and viewer count against a real
backend with a real WHEP viewer."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import httpx
from pytestqt.qtbot import QtBot

from studio.core import output_quality
from studio.core.publisher import PublisherState
from studio.core.settings_store import SettingsStore, StudioSettings
from studio.core.subscriber import WhepPlayer
from studio.ui.go_live import GoLive, elapsed_text
from studio.ui.main_window import MainWindow
from studio.ui.panels.effects import EffectsPanel
from tests.backend.api_helpers import Listener
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, go_live_button, make_account
from tests.studio.ui.dialogs import GO_LIVE, answering

WAIT = 30_000
SHOTS = Path("/tmp/onair-output-shots")
T = TypeVar("T")


def run(qtbot: QtBot, work: Awaitable[T]) -> T:
    task = asyncio.ensure_future(work)
    qtbot.waitUntil(task.done, timeout=WAIT)
    return task.result()


def go_live(qtbot: QtBot, window: MainWindow) -> GoLive:
    button = go_live_button(window)
    qtbot.waitUntil(lambda: button.isEnabled() and window.broadcast.flow is not None, timeout=WAIT)
    with answering(GO_LIVE):
        button.click()
    qtbot.waitUntil(lambda: "kbps" in button.health.numbers.text(), timeout=WAIT)
    return button


def shot(widget: object, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]


def test_auto_measures_this_computer_once_and_the_choice_is_kept(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    account = make_account(server.url)
    fresh = StudioSettings(backend_url=server.url, username=account.username, token=account.token)
    SettingsStore(tmp_path / "fresh").save(fresh)  # a first run: nothing measured yet
    window = studio(server.url, config="fresh")
    menu = go_live_button(window).output_menu
    assert menu.measuring is not None and "Measuring" in menu.text()  # progress is shown
    assert not menu.measure_action.isEnabled()
    shown: list[float] = []  # the progress the menu was given (several may land in one turn)
    give_progress = menu._progress

    def watched(fraction: float) -> None:
        shown.append(fraction)
        give_progress(fraction)

    menu._progress = watched  # type: ignore[method-assign]
    qtbot.waitUntil(lambda: menu.measuring is None or menu.measuring > 0.3, timeout=60_000)
    if menu.measuring is not None:  # caught on the way (a quiet machine may finish first)
        assert re.fullmatch(r"VP8 · Measuring \d+%", menu.text())
        shot(window.toolbar, "measuring")
    qtbot.waitUntil(lambda: menu.measuring is None, timeout=60_000)
    assert shown and shown == sorted(shown) and shown[-1] > 0.3

    measured = window.settings.output_measured
    assert "480p30" in measured and all(cost > 0 for cost in measured.values())
    auto = output_quality.auto_choice(measured)
    assert menu.quality == auto and menu.text() == f"VP8 · Auto {auto.key}"
    assert menu.qualities["auto"].isChecked() and auto.label in menu.qualities["auto"].text()
    sixty_fits = output_quality.fits(output_quality.SIXTY, measured)
    assert menu.qualities["720p60"].isEnabled() == sixty_fits
    menu.menu().popup(menu.mapToGlobal(menu.rect().bottomLeft()))
    qtbot.waitUntil(menu.menu().isVisible, timeout=15_000)
    shot(menu.menu(), "output-menu")
    menu.menu().hide()

    menu.qualities["480p30"].trigger()
    assert window.settings.output_quality == "480p30" and menu.text() == "VP8 · 480p30"
    assert menu.quality.key == "480p30" and not menu.qualities["auto"].isChecked()
    window.close()  # the settings are saved on close

    again = studio(server.url, config="fresh")  # the next start does not measure again
    menu = go_live_button(again).output_menu
    assert menu.measuring is None and again.settings.output_measured == measured
    assert menu.text() == "VP8 · 480p30" and menu.qualities["480p30"].isChecked()
    menu.measure_action.trigger()  # unless asked
    assert menu.measuring is not None
    qtbot.waitUntil(lambda: menu.measuring is None, timeout=60_000)


def report(button: GoLive, fps: float, times: int) -> None:
    """Statuses as the publisher reports them, with this many frames sent a second (the
    machine's real slowness cannot be ordered on demand)."""
    publisher = button.publisher
    assert publisher is not None and publisher.on_status is not None
    for _ in range(times):
        publisher.on_status(dataclasses.replace(publisher.status, fps=fps))


def test_the_keep_up_banner_lowers_the_quality_or_turns_effects_off(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window = studio(server.url, make_account(server.url))
    panel = window.docks["effects"].widget()
    assert isinstance(panel, EffectsPanel)
    panel.cards["beauty.smooth"].enable.setChecked(True)
    assert window.broadcast.chain.enabled == ["beauty.smooth"]
    button = go_live(qtbot, window)
    banner = button.keep_up_banner
    publisher = button.publisher
    assert publisher is not None and publisher.output is not None
    assert publisher.output.key == "720p30" and not banner.isVisible()

    report(button, 24.0, 20)  # a little slow is fine
    assert not banner.isVisible()
    report(button, 9.0, 8)  # several seconds at under a third of 30 fps
    assert banner.isVisible() and banner.message.text() == banner.MESSAGE
    assert banner.lower_button.isEnabled() and banner.effects_button.isEnabled()
    shot(window, "keep-up-banner")

    banner.lower_button.click()  # one step down, now, for the rest of this broadcast
    assert not banner.isVisible() and publisher.output.key == "480p30"
    assert window.settings.output_quality == "auto"  # the setting itself is unchanged

    def published_height() -> int:
        frame = window.broadcast.flow.latest() if window.broadcast.flow else None
        return frame.image.shape[0] if frame is not None else 0

    qtbot.waitUntil(lambda: 0 < published_height() <= 480, timeout=WAIT)
    assert publisher.state is PublisherState.LIVE

    report(button, 9.0, 8)  # still too slow: said again, and 480p is the bottom
    assert banner.isVisible() and not banner.lower_button.isEnabled()
    banner.effects_button.click()
    assert not banner.isVisible() and window.broadcast.chain.enabled == []
    assert not panel.cards["beauty.smooth"].enable.isChecked()  # the panel shows it
    assert window.settings.enabled_effects == []

    report(button, 9.0, 8)
    assert banner.isVisible() and not banner.effects_button.isEnabled()
    report(button, 30.0, 3)
    assert banner.isVisible()  # not recovered yet: a moment of good frames is not enough
    report(button, 30.0, 5)
    assert not banner.isVisible()  # recovered: hidden, and no nagging while it lasts
    with answering(True):
        button.click()
    qtbot.waitUntil(lambda: button.publisher is None, timeout=WAIT)


async def watch(server: LiveServer, stream: str) -> tuple[Listener, WhepPlayer]:
    """A viewer as the viewer page is one: a guest in the stream's room, playing WHEP."""
    async with httpx.AsyncClient(base_url=server.url) as client:
        token = (await client.post("/api/auth/guest")).json()["data"]["token"]
    room = Listener(server.ws_url, token)
    await room.__aenter__()
    await room.join(f"stream:{stream}")
    player = WhepPlayer(f"{server.url}/whep/{stream}", token=token)
    await player.start()
    return room, player


async def leave(room: Listener, player: WhepPlayer) -> None:
    await player.stop()
    await room.__aexit__(None, None, None)


def test_the_health_strip_shows_live_time_and_viewers(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window = studio(server.url, make_account(server.url))
    health = go_live_button(window).health
    assert not health.elapsed.isVisible() and not health.viewers.isVisible()
    button = go_live(qtbot, window)
    assert re.fullmatch(r"0:00:0\d", health.elapsed.text())
    assert elapsed_text(2 * 3600 + 3 * 60 + 4.9) == "2:03:04"
    qtbot.waitUntil(lambda: health.viewers.text() == "0 viewers", timeout=WAIT)
    first = health.elapsed.text()
    qtbot.waitUntil(lambda: health.elapsed.text() != first, timeout=WAIT)  # it ticks

    user = window.session.user
    assert user is not None
    room, player = run(qtbot, watch(server, user.username))
    qtbot.waitUntil(lambda: health.viewers.text() == "1 viewer", timeout=WAIT)
    shot(window.statusBar(), "health-strip")
    run(qtbot, leave(room, player))
    qtbot.waitUntil(lambda: health.viewers.text() == "0 viewers", timeout=WAIT)

    with answering(True):
        button.click()
    qtbot.waitUntil(lambda: button.publisher is None, timeout=WAIT)
    assert not health.elapsed.isVisible() and not health.viewers.isVisible()
