"""Go Live publishes the preview's frames over WHIP to the backend; the strip shows its health."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from studio.core.encoder import CODECS
from studio.core.publisher import PublisherState
from studio.ui import theme
from studio.ui.go_live import CODEC_CHOICES, GoLive
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, go_live, make_account
from tests.studio.ui.dialogs import GO_LIVE, answering

WAIT = 30_000


def test_go_live_and_end(server: LiveServer, studio: StudioFactory, qtbot: QtBot) -> None:
    window = studio(server.url, make_account(server.url))
    button = go_live(window, qtbot, WAIT)
    qtbot.waitUntil(lambda: "kbps" in button.health.numbers.text(), timeout=WAIT)
    assert button.text() == "End stream" and "LIVE" in button.health.state.text()
    # The backend hears the same numbers (webrtc:stats-update in the stream's room).
    webrtc, user = server.app.state.webrtc, window.session.user

    def reported_bitrate() -> float:
        peer = webrtc.rooms.get(f"stream-{user.username}", {}).get(user.id)
        return peer.stats.bitrate if peer is not None and peer.stats is not None else 0.0

    qtbot.waitUntil(lambda: reported_bitrate() > 0, timeout=WAIT)
    shown = window.preview.frames_shown
    qtbot.waitUntil(lambda: window.preview.frames_shown > shown + 10, timeout=WAIT)  # still live

    with answering(False) as asked:
        button.click()  # one click must not end a live: it asks
    assert [q.text for q in asked] == [button.end_question()] and "You're live" in asked[0].text
    assert asked[0].accept_label == "End stream" and asked[0].reject_label == "Cancel"
    assert button.live and button.publisher.state is PublisherState.LIVE

    with answering(True):
        button.click()
    qtbot.waitUntil(lambda: "STOPPED" in button.health.state.text(), timeout=WAIT)
    assert button.text() == "Go Live" and button.publisher is None and button.reporter is None


def test_the_codec_chosen_beside_go_live_is_the_one_broadcast(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    assert CODEC_CHOICES.keys() == CODECS.keys()
    window = studio(server.url, make_account(server.url))
    button = window.toolbar.findChild(GoLive)
    assert isinstance(button, GoLive)
    menu = button.output_menu
    assert menu.codec == "vp8" and menu.choices["vp8"].isChecked()
    assert menu.text() == "VP8 · Auto 720p30"
    menu.choices["h264"].trigger()
    assert window.settings.video_codec == "h264" and not menu.choices["vp8"].isChecked()
    assert menu.text() == "H.264 · Auto 720p30"

    qtbot.waitUntil(lambda: button.isEnabled() and window.broadcast.flow is not None, timeout=WAIT)
    with answering(GO_LIVE):
        button.click()
    qtbot.waitUntil(lambda: "kbps" in button.health.numbers.text(), timeout=WAIT)
    user = window.session.user
    assert user is not None
    stream = server.app.state.media.streams[user.username]
    assert stream.codecs["video"].mimeType == "video/H264"
    assert button.health.numbers.text().startswith("H.264 · ")
    assert not menu.isEnabled()  # a codec is chosen for a whole broadcast

    with answering(True):
        button.click()
    qtbot.waitUntil(lambda: button.publisher is None, timeout=WAIT)
    assert menu.isEnabled()


def test_quitting_or_signing_out_while_live_asks_first(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    window = studio(server.url, make_account(server.url))
    button = window.toolbar.findChild(GoLive)
    assert isinstance(button, GoLive)
    with answering():  # not live: nothing to end, nothing asked
        assert window.may_end("Quit OnAir Studio", "Quit")
    qtbot.waitUntil(lambda: button.isEnabled() and window.broadcast.flow is not None, timeout=WAIT)
    with answering(GO_LIVE):
        button.click()
    qtbot.waitUntil(lambda: button.publisher is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: window.link_label.text() == "● Connected", timeout=WAIT)

    with answering(False, False) as asked:
        window.close()
        window.sign_out()
    assert [q.title for q in asked] == ["Quit OnAir Studio", "Sign out"]
    assert all("You're live" in q.text for q in asked)
    assert window.isVisible() and button.live and window.session.signed_in

    with answering(True):
        window.sign_out()
    qtbot.waitUntil(lambda: not window.session.signed_in and not button.live, timeout=WAIT)
    assert window.link_label.text() == "○ Offline"
    assert theme.SUCCESS not in window.link_label.styleSheet()  # not "Offline" in green
    with answering():
        window.close()
    assert not window.isVisible()
