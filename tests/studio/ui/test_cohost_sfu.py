"""Five hosts in one co-host session: the call switches to the SFU and the studio's stage shows
every host's video in a 3x3 grid (the other four publish from test code, like the headless
studio, at a small size so five streams fit on the test machine)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from pytestqt.qtbot import QtBot

from studio.core.api_client import ApiClient
from studio.ui.stage import RECONNECTING
from tests.backend.api_helpers import Listener
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer
from tests.studio.ui.conftest import Account, StudioFactory, make_account
from tests.studio.ui.test_cohost_panel import cohost_panel
from wire.events import WebRTC

pytestmark = pytest.mark.usefixtures("loopback_ice")
WAIT = 60_000
GUESTS = 4


async def guest_host(
    server: LiveServer, host: ApiClient, session_id: str, guest: Account, done: asyncio.Event
) -> None:
    """``guest`` is invited, accepts, joins the session's call room and publishes until
    ``done``."""
    api = ApiClient(server.url, token=guest.token)
    try:
        await host.invite_cohost(session_id, guest.id)
        await api.accept_cohost_invite(session_id)
        room = await api.cohost_room(session_id)
        async with (
            Listener(server.ws_url, guest.token) as listener,
            live_publisher(server.url, guest.username, guest.token, size=(256, 144), audio=None),
        ):
            await listener.send(WebRTC.JOIN_ROOM, {"roomId": room})
            await done.wait()
    finally:
        await api.aclose()


def test_five_hosts_through_the_sfu_fill_a_three_by_three_grid(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice = make_account(server.url, display="Alice Live")
    guests = [make_account(server.url, display=f"Guest {n}") for n in range(1, GUESTS + 1)]
    window = studio(server.url, alice)
    panel = cohost_panel(window)
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.start_page, timeout=WAIT)
    qtbot.waitUntil(lambda: window.broadcast.flow is not None, timeout=WAIT)
    panel.start_page.start_button.click()
    qtbot.waitUntil(lambda: panel.session is not None, timeout=WAIT)
    panel.session_page.start.click()
    qtbot.waitUntil(
        lambda: panel.session is not None and panel.session.status == "live", timeout=WAIT
    )
    assert panel.session is not None
    session_id = panel.session.id

    done = asyncio.Event()
    joined = [
        asyncio.ensure_future(guest_host(server, window.session.api, session_id, guest, done))
        for guest in guests
    ]
    try:
        everyone = {alice.id} | {g.id for g in guests}
        qtbot.waitUntil(lambda: {t.user_id for t in panel.stage.tiles} == everyone, timeout=WAIT)
        qtbot.waitUntil(
            lambda: (call := panel.broadcast.call) is not None and call.topology == "sfu",
            timeout=WAIT,
        )
        stage = panel.stage
        qtbot.waitUntil(
            lambda: all(stage.frame_counts.get(g.id, 0) > 3 for g in guests), timeout=WAIT
        )
        assert not any(f.done() for f in joined)  # every guest is still publishing
        widths = {round(t.width, 3) for t in stage.tiles}
        assert widths == {round(1 / 3, 3)}  # 3 columns
        assert all(stage.status.get(g.id) != RECONNECTING for g in guests)
        window.grab()  # five tiles paint
    finally:
        done.set()
        qtbot.waitUntil(lambda: all(f.done() for f in joined), timeout=WAIT)
    for future in joined:
        with contextlib.suppress(asyncio.CancelledError):
            assert future.exception() is None
