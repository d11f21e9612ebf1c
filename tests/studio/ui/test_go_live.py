"""Go Live publishes the preview's frames over WHIP to the backend; the strip shows its health."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from studio.core.publisher import PublisherState
from studio.ui.go_live import GoLive
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, make_account

WAIT = 30_000


def test_go_live_and_end(server: LiveServer, studio: StudioFactory, qtbot: QtBot) -> None:
    window = studio(server.url, make_account(server.url))
    button = window.toolbar.findChild(GoLive)
    assert isinstance(button, GoLive)
    qtbot.waitUntil(button.isEnabled, timeout=WAIT)
    qtbot.waitUntil(lambda: window.preview.frames_shown > 3, timeout=WAIT)
    button.click()
    qtbot.waitUntil(
        lambda: button.publisher is not None and button.publisher.state is PublisherState.LIVE,
        timeout=WAIT,
    )
    qtbot.waitUntil(lambda: "kbps" in button.health.numbers.text(), timeout=WAIT)
    assert button.text() == "End stream" and "LIVE" in button.health.state.text()
    # The backend hears the same numbers (webrtc:stats-update in the stream's room).
    webrtc, user = server.app.state.webrtc, window.session.user

    def reported_bitrate() -> float:
        peer = webrtc.rooms.get(f"stream-{user.username}", {}).get(user.id)
        return float(peer.stats.get("bitrate", 0)) if peer is not None else 0.0

    qtbot.waitUntil(lambda: reported_bitrate() > 0, timeout=WAIT)
    shown = window.preview.frames_shown
    qtbot.waitUntil(lambda: window.preview.frames_shown > shown + 10, timeout=WAIT)  # still live

    button.click()
    qtbot.waitUntil(lambda: "STOPPED" in button.health.state.text(), timeout=WAIT)
    assert button.text() == "Go Live" and button.publisher is None and button.reporter is None
