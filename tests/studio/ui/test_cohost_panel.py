"""Two studio windows co-host: invite, accept, each other's video in the shared layout."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pytestqt.qtbot import QtBot

from studio.core import broadcast
from studio.core.state import CohostState
from studio.ui.go_live import GoLive
from studio.ui.main_window import MainWindow
from studio.ui.panels.cohost import CohostPanel, on_air_text
from tests.helpers_media import loopback_ice  # noqa: F401
from tests.servers import LiveServer
from tests.studio import cohost_wire
from tests.studio.ui.conftest import StudioFactory, make_account
from tests.studio.ui.dialogs import GO_LIVE, answering
from tests.studio.ui.test_pk_panel import find_user

pytestmark = pytest.mark.usefixtures("loopback_ice")
WAIT = 20_000


def cohost_panel(window: MainWindow) -> CohostPanel:
    panel = window.docks["cohost"].widget()
    assert isinstance(panel, CohostPanel)
    return panel


def test_two_studios_cohost_with_video_layouts_and_removal(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice = make_account(server.url, display="Alice Live")
    bob = make_account(server.url, display="Bob Streams")
    left, right = studio(server.url, alice), studio(server.url, bob)
    a, b = cohost_panel(left), cohost_panel(right)
    qtbot.waitUntil(
        lambda: a.pages.currentWidget() is a.start_page and b.pages.currentWidget() is b.start_page,
        timeout=WAIT,
    )
    qtbot.waitUntil(
        lambda: left.broadcast.flow is not None and right.broadcast.flow is not None, timeout=WAIT
    )

    # Alice creates a 2x2 grid session, goes live with it and invites Bob.
    a.start_page.title.setText("Late Show")
    a.start_page.kind.setCurrentIndex(a.start_page.kind.findData("podcast"))
    a.start_page.start_button.click()
    qtbot.waitUntil(lambda: a.session is not None, timeout=WAIT)
    assert left.centre.currentWidget() is a.stage
    page = a.session_page
    assert page.start.isVisible() and page.layout_box.isEnabled()
    page.start.click()
    qtbot.waitUntil(lambda: a.session is not None and a.session.status == "live", timeout=WAIT)
    find_user(page.finder, bob.username, qtbot)
    page.invite.click()
    qtbot.waitUntil(lambda: "Bob Streams" in page.pending.text(), timeout=WAIT)

    # Bob is told, and joins.
    qtbot.waitUntil(lambda: b.start_page.accept.isEnabled(), timeout=WAIT)
    assert any("Co-host invitation" in m for m in right.toasts.messages)
    assert "Alice Live" in b.start_page.invitations.item(0).text()
    b.start_page.accept.click()
    qtbot.waitUntil(lambda: b.session is not None, timeout=WAIT)
    assert not b.session_page.layout_box.isEnabled()  # a co-host does not manage

    # Both windows lay out both hosts and show each other's video.
    both = {alice.id, bob.id}
    qtbot.waitUntil(lambda: {t.user_id for t in a.stage.tiles} == both, timeout=WAIT)
    qtbot.waitUntil(lambda: {t.user_id for t in b.stage.tiles} == both, timeout=WAIT)
    assert page.pending.text() == ""
    qtbot.waitUntil(lambda: a.stage.frame_counts.get(bob.id, 0) > 3, timeout=WAIT)
    qtbot.waitUntil(lambda: b.stage.frame_counts.get(alice.id, 0) > 3, timeout=WAIT)
    assert [t.width for t in a.stage.tiles] == [0.5, 0.5]
    page.finder.search.setText(bob.username)
    searched = asyncio.ensure_future(page.finder._search(bob.username))
    qtbot.waitUntil(searched.done, timeout=WAIT)
    assert page.finder.results.count() == 0  # a host already: not offered again
    bob_row = page.host_row(bob.id)
    assert bob_row is not None and bob_row.remove.isVisible()
    own_row = b.session_page.host_row(bob.id)
    assert own_row is not None and not own_row.remove.isVisible()
    alice_row = b.session_page.host_row(alice.id)
    assert alice_row is not None and not alice_row.mic.isEnabled()

    # A layout change re-renders both stages; muting shows on both.
    page.layout_box.setCurrentIndex(page.layout_box.findData("spotlight"))
    page.layout_box.activated.emit(page.layout_box.currentIndex())
    for panel in (a, b):
        qtbot.waitUntil(
            lambda p=panel: p.stage.tiles[:1] and p.stage.tiles[0].height == 0.75,  # type: ignore[misc]
            timeout=WAIT,
        )
    assert b.session_page.layout_box.currentData() == "spotlight"
    assert page.host_row(bob.id) is bob_row  # rows are updated in place, not rebuilt
    bob_row.mic.click()
    for panel in (a, b):
        qtbot.waitUntil(
            lambda p=panel: not p.stage.hosts[bob.id].audio_enabled,  # type: ignore[misc]
            timeout=WAIT,
        )
    assert bob_row.mic.text() == "Muted" and not bob_row.mic.isEnabled()

    # Alice removes Bob: his stage goes, hers is back to one tile.
    bob_row.remove.click()
    qtbot.waitUntil(lambda: b.session is None, timeout=WAIT)
    assert "removed" in b.start_page.notice.text()
    assert right.centre.currentWidget() is right.preview
    qtbot.waitUntil(lambda: [t.user_id for t in a.stage.tiles] == [alice.id], timeout=WAIT)
    qtbot.waitUntil(lambda: bob.id not in a.feeds.users, timeout=WAIT)

    page.end.click()
    qtbot.waitUntil(lambda: a.session is None, timeout=WAIT)
    assert left.centre.currentWidget() is left.preview


def test_own_tile_shows_the_camera_after_a_restart(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quit while hosting a session, start again with a camera that opens only after the
    session is resumed: my tile shows my own picture once it opens, not my avatar."""
    alice = make_account(server.url, display="Alice Live")
    first = studio(server.url, alice, config="alice")
    panel = cohost_panel(first)
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.start_page, timeout=WAIT)
    qtbot.waitUntil(lambda: first.broadcast.flow is not None, timeout=WAIT)
    panel.start_page.start_button.click()
    qtbot.waitUntil(lambda: panel.stage.frame_counts.get(alice.id, 0) > 3, timeout=WAIT)
    first.close()

    camera_ready = threading.Event()
    open_now = broadcast.open_source
    monkeypatch.setattr(
        broadcast, "open_source", lambda spec: camera_ready.wait(30) and open_now(spec)
    )
    again = studio(server.url, config="alice")
    resumed = cohost_panel(again)
    qtbot.waitUntil(lambda: resumed.session is not None, timeout=WAIT)
    assert again.centre.currentWidget() is resumed.stage
    assert again.broadcast.flow is None and alice.id not in resumed.stage.frames
    camera_ready.set()
    qtbot.waitUntil(lambda: resumed.stage.frame_counts.get(alice.id, 0) > 3, timeout=WAIT)


def test_the_session_card_says_live_when_the_host_is_live(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    """Going live before the session starts: the card says "Live" (and what viewers do not see
    yet), not "Not live yet"; once the session starts it is simply live."""
    window = studio(server.url, make_account(server.url))
    panel = cohost_panel(window)
    go_live = window.toolbar.findChild(GoLive)
    assert isinstance(go_live, GoLive)
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.start_page, timeout=WAIT)
    qtbot.waitUntil(lambda: window.broadcast.flow is not None and go_live.isEnabled(), timeout=WAIT)
    panel.start_page.start_button.click()
    qtbot.waitUntil(lambda: panel.session is not None, timeout=WAIT)
    status = panel.session_page.status
    assert status.text().startswith("Not live yet")

    with answering(GO_LIVE):
        go_live.click()
    qtbot.waitUntil(lambda: status.text().startswith("● Live · viewers see"), timeout=WAIT)
    assert "once you go live together" in status.text()
    panel.session_page.start.click()
    together = "● Live · Collaboration · 1/9 hosts"
    qtbot.waitUntil(lambda: status.text().startswith(together), timeout=WAIT)
    with answering(True):
        go_live.click()  # the broadcast ends; the session is still live
    qtbot.waitUntil(lambda: not go_live.live, timeout=WAIT)
    assert status.text().startswith(together)


def test_a_live_cohost_is_told_who_starts_the_session() -> None:
    ann = cohost_wire.host("ann", "primary", manage=True)  # shown as "Ann"
    session = cohost_wire.session(
        [ann, cohost_wire.host("me")], status="scheduled", primary="ann", manager_view=False
    )
    state = CohostState("me")
    state.load(session)
    assert on_air_text(state, broadcasting=False) == "Not live yet"
    assert on_air_text(state, broadcasting=True) == (
        "● Live · viewers see the hosts once Ann goes live together"
    )
