"""Two studio windows run a PK battle end to end against the real backend."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AbstractAsyncContextManager

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.state import PKPhase
from studio.ui.confirm import Question
from studio.ui.main_window import MainWindow
from studio.ui.panels.common import UserSearch
from studio.ui.panels.pk import PKPanel
from tests.backend.api_helpers import Listener
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer
from tests.studio.ui.conftest import Account, StudioFactory, go_live, make_account
from tests.studio.ui.dialogs import answering

WAIT = 15_000


def find_user(finder: UserSearch, username: str, qtbot: QtBot) -> None:
    """Type ``username`` into a user search and select the one match."""
    finder.search.setText(username)
    qtbot.waitUntil(
        lambda: (
            finder.results.count() == 1
            and finder.results.item(0).data(Qt.ItemDataRole.UserRole) is not None
        ),
        timeout=WAIT,
    )
    finder.results.setCurrentRow(0)


def pk_panel(window: MainWindow) -> PKPanel:
    panel = window.docks["pk"].widget()
    assert isinstance(panel, PKPanel)
    return panel


Duel = tuple[
    tuple[Account, Account, Account], tuple[MainWindow, MainWindow], tuple[PKPanel, PKPanel]
]


def open_duel(server: LiveServer, studio: StudioFactory, fan_coins: int) -> Duel:
    """Alice and Bob, each in a studio window, and a fan with ``fan_coins`` to gift."""
    alice = make_account(server.url, display="Alice Live")
    bob = make_account(server.url, display="Bob Streams")
    fan = make_account(server.url, coins=fan_coins, display="Big Fan")
    left, right = studio(server.url, alice), studio(server.url, bob)
    return (alice, bob, fan), (left, right), (pk_panel(left), pk_panel(right))


def test_two_studios_battle_with_gifts_and_a_result(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    (alice, bob, fan), (left, right), (a, b) = open_duel(server, studio, fan_coins=5_000)
    qtbot.waitUntil(lambda: a.phase is PKPhase.IDLE and b.phase is PKPhase.IDLE, timeout=WAIT)

    # Alice finds Bob and challenges him.
    page = a.challenge_page
    find_user(page.finder, bob.username, qtbot)
    page.duration.setCurrentIndex(page.duration.findData(1))
    page.challenge.click()
    qtbot.waitUntil(lambda: a.phase is PKPhase.OUTGOING, timeout=WAIT)

    # Bob sees the incoming challenge (a server event) and accepts it.
    qtbot.waitUntil(lambda: b.phase is PKPhase.INCOMING, timeout=WAIT)
    assert "challenges you" in b.invite_page.headline.text()
    assert any("PK challenge!" in m and "Alice Live" in m for m in right.toasts.messages)
    assert b.invite_page.accept.isVisible() and not a.invite_page.accept.isVisible()
    b.invite_page.accept.click()
    qtbot.waitUntil(lambda: a.phase is PKPhase.LIVE and b.phase is PKPhase.LIVE, timeout=WAIT)
    assert a.state is not None and a.state.battle is not None
    battle_id = a.state.battle.id
    qtbot.waitUntil(lambda: a.live_page.timer.text() not in ("0:00", ""), timeout=WAIT)
    assert a.live_page.timer.text().startswith(("1:00", "0:5"))

    # A viewer gifts through the API; both score bars and feeds follow.
    gift = {"giftId": "star", "quantity": 3, "toHost": alice.id}
    fan.call(server.url, "POST", f"/api/pk-battles/{battle_id}/gift", json=gift)
    fan.call(
        server.url,
        "POST",
        f"/api/pk-battles/{battle_id}/gift",
        json={"giftId": "heart", "quantity": 2, "toHost": bob.id},
    )
    qtbot.waitUntil(
        lambda: (a.live_page.bar.mine, a.live_page.bar.theirs) == (30, 10), timeout=WAIT
    )
    qtbot.waitUntil(
        lambda: (b.live_page.bar.mine, b.live_page.bar.theirs) == (10, 30), timeout=WAIT
    )
    assert a.live_page.bar.target == 0.75
    qtbot.waitUntil(lambda: abs(a.live_page.bar.displayed_share - 0.75) < 1e-6, timeout=WAIT)
    assert a.live_page.feed.count() == 2
    assert "Big Fan" in a.live_page.feed.item(1).text()
    assert "Big Fan" in a.live_page.my_fans.text()
    assert any("Big Fan sent 3× Star" in m for m in left.toasts.messages)
    assert any("Big Fan sent 2× Heart" in m for m in right.toasts.messages)

    # The server ends the battle (its deadline handler, run now instead of in a minute).
    server.app.state.services.pk.end_battle(battle_id)
    qtbot.waitUntil(lambda: a.phase is PKPhase.RESULT and b.phase is PKPhase.RESULT, timeout=WAIT)
    assert a.result_page.headline.text() == "Victory!"
    assert b.result_page.headline.text() == "Defeat"
    assert "+54 coins" in a.result_page.rewards.text()  # 50 + 10% of the 40 gifted
    assert "+40 XP" in b.result_page.rewards.text()
    qtbot.waitUntil(
        lambda: "5,0" not in left.account.text() and "84" in left.account.text(), timeout=WAIT
    )  # 30 gifted + 54 reward, refreshed from the server

    a.dismiss()
    assert a.phase is PKPhase.IDLE


def start_battle(a: PKPanel, b: PKPanel, opponent: str, qtbot: QtBot) -> None:
    """``a`` challenges ``opponent`` (``b``'s user) to a 1-minute battle; ``b`` accepts."""
    qtbot.waitUntil(lambda: a.phase is PKPhase.IDLE and b.phase is PKPhase.IDLE, timeout=WAIT)
    find_user(a.challenge_page.finder, opponent, qtbot)
    a.challenge_page.duration.setCurrentIndex(a.challenge_page.duration.findData(1))
    a.challenge_page.challenge.click()
    qtbot.waitUntil(lambda: b.phase is PKPhase.INCOMING, timeout=WAIT)
    b.invite_page.accept.click()
    qtbot.waitUntil(lambda: a.phase is PKPhase.LIVE and b.phase is PKPhase.LIVE, timeout=WAIT)


@pytest.mark.usefixtures("loopback_ice")
def test_battle_shows_both_streams_side_by_side(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice = make_account(server.url, display="Alice Live")
    bob = make_account(server.url, display="Bob Streams")
    left, right = studio(server.url, alice), studio(server.url, bob)
    a, b = pk_panel(left), pk_panel(right)

    # Bob is live (Go Live: WHIP to the backend); Alice is not.
    go_live(right, qtbot, timeout=2 * WAIT)
    qtbot.waitUntil(lambda: left.broadcast.flow is not None, timeout=WAIT)
    start_battle(a, b, bob.username, qtbot)

    # Alice's preview area: her tile first (left, or top in a tall area), then Bob's stream
    # (played over WHEP).
    assert left.centre.currentWidget() is a.versus.stage
    assert right.centre.currentWidget() is b.versus.stage
    stage = a.versus.stage
    assert [t.user_id for t in stage.tiles] == [alice.id, bob.id]
    qtbot.waitUntil(lambda: stage.frame_counts.get(bob.id, 0) > 3, timeout=2 * WAIT)
    qtbot.waitUntil(lambda: stage.frame_counts.get(alice.id, 0) > 3, timeout=WAIT)
    assert b.versus.stage.frames.get(alice.id) is None  # Alice is not live: her avatar shows
    assert [t.user_id for t in b.versus.stage.tiles] == [bob.id, alice.id]

    # The battle ends: the players stop and the preview is back.
    assert a.state is not None and a.state.battle is not None
    server.app.state.services.pk.end_battle(a.state.battle.id)
    qtbot.waitUntil(lambda: a.phase is PKPhase.RESULT and b.phase is PKPhase.RESULT, timeout=WAIT)
    assert left.centre.currentWidget() is left.preview
    assert right.centre.currentWidget() is right.preview
    qtbot.waitUntil(lambda: not a.versus.feeds.users and a.versus.player is None, timeout=WAIT)
    qtbot.waitUntil(lambda: not b.versus.feeds.users and b.versus.player is None, timeout=WAIT)
    assert not any("failed" in m for m in left.toasts.messages + right.toasts.messages)


def test_ending_a_battle_early_asks_first_then_forfeits_it(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    (alice, bob, fan), (left, right), (a, b) = open_duel(server, studio, fan_coins=100)
    start_battle(a, b, bob.username, qtbot)
    assert a.state is not None and a.state.battle is not None
    path = f"/api/pk-battles/{a.state.battle.id}"
    star = {"giftId": "star", "quantity": 3, "toHost": alice.id}
    fan.call(server.url, "POST", f"{path}/gift", json=star)
    qtbot.waitUntil(lambda: a.live_page.bar.mine == 30, timeout=WAIT)

    # Alice leads 30 to 0, presses "End battle early" and keeps battling after all.
    with answering(False) as asked:
        a.live_page.forfeit.click()
    assert asked == [
        Question(
            "End the battle early?",
            "You forfeit: Bob Streams wins and gets the rewards. Gifts already sent stay counted.",
            "End battle and forfeit",
            "Keep battling",
        )
    ]
    battle = fan.call(server.url, "GET", path)
    assert isinstance(battle, dict) and battle["status"] == "active"  # no forfeit was sent
    assert a.phase is PKPhase.LIVE
    fan.call(server.url, "POST", f"{path}/gift", json=star)  # still running: gifts go through
    qtbot.waitUntil(lambda: a.live_page.bar.mine == 60, timeout=WAIT)

    # She presses it again and means it: Bob wins despite the score, both are paid.
    with answering(True):
        a.live_page.forfeit.click()
    qtbot.waitUntil(lambda: a.phase is PKPhase.RESULT and b.phase is PKPhase.RESULT, timeout=WAIT)
    assert (a.result_page.headline.text(), a.result_page.note.text()) == (
        "Defeat",
        "You ended the battle early",
    )
    assert (b.result_page.headline.text(), b.result_page.note.text()) == (
        "Victory!",
        "Alice Live ended the battle early",
    )
    assert "60 : 0" in a.result_page.score.text()  # the gifts stay counted
    assert b.result_page.rewards.text() == "+56 coins   +100 XP"  # 50 + 10% of 60
    assert a.result_page.rewards.text() == "+40 XP"
    battle = bob.call(server.url, "GET", path)
    assert isinstance(battle, dict)
    assert (battle["winner"], battle["forfeitedBy"]) == (bob.id, alice.id)
    assert not any("failed" in m for m in left.toasts.messages + right.toasts.messages)


def test_cancelling_a_challenge_says_what_it_means_and_can_be_taken_back(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice = make_account(server.url, display="Alice Live")
    bob = make_account(server.url, display="Bob Streams")
    window = studio(server.url, alice)
    a = pk_panel(window)
    qtbot.waitUntil(lambda: a.phase is PKPhase.IDLE, timeout=WAIT)
    find_user(a.challenge_page.finder, bob.username, qtbot)
    a.challenge_page.challenge.click()
    qtbot.waitUntil(lambda: a.phase is PKPhase.OUTGOING, timeout=WAIT)

    with answering(False) as asked:
        a.invite_page.cancel.click()
    assert asked[0].title == "Cancel your challenge?"
    assert asked[0].text == (
        "Your challenge to Bob Streams is withdrawn. The battle won't happen: "
        "nobody wins and no coins change hands."
    )
    assert a.phase is PKPhase.OUTGOING
    with answering(True):
        a.invite_page.cancel.click()
    qtbot.waitUntil(lambda: a.phase is PKPhase.RESULT, timeout=WAIT)
    assert a.result_page.headline.text() == "Battle cancelled"
    assert not a.result_page.note.isVisible()


async def hold_open(context: AbstractAsyncContextManager[object], until: asyncio.Event) -> None:
    async with context:
        await until.wait()


@pytest.mark.usefixtures("loopback_ice")
def test_the_finder_puts_live_streamers_first_and_battle_cards_say_who_is_live(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    tag = uuid.uuid4().hex[:6]
    alice = make_account(server.url, display="Alice Live")
    offline = make_account(server.url, display=f"Abe {tag}")
    online = make_account(server.url, display=f"Carol {tag}")
    streamer = make_account(server.url, display=f"Zed {tag}")
    done = asyncio.Event()
    holds = [
        asyncio.ensure_future(hold_open(Listener(server.ws_url, online.token), done)),
        asyncio.ensure_future(
            hold_open(
                live_publisher(server.url, streamer.username, streamer.token, size=(256, 144)),
                done,
            )
        ),
    ]
    try:
        window = studio(server.url, alice)
        a = pk_panel(window)
        qtbot.waitUntil(lambda: a.phase is PKPhase.IDLE, timeout=WAIT)
        media = server.app.state.media
        qtbot.waitUntil(
            lambda: any(s.live for s in media.streams.values()), timeout=2 * WAIT
        )  # the streamer is publishing

        finder = a.challenge_page.finder
        finder.search.setText(tag)
        qtbot.waitUntil(lambda: finder.results.count() == 3, timeout=WAIT)
        shown = [finder.results.item(row).text() for row in range(3)]
        assert shown == [
            f"Zed {tag}   @{streamer.username}   Live",
            f"Carol {tag}   @{online.username}   Online",
            f"Abe {tag}   @{offline.username}   Offline",
        ]

        # Alice challenges the live streamer; the cards say who of the two is live.
        finder.results.setCurrentRow(0)
        a.challenge_page.challenge.click()
        qtbot.waitUntil(lambda: a.phase is PKPhase.OUTGOING, timeout=WAIT)
        qtbot.waitUntil(lambda: a.invite_page.live.text() == "● Live", timeout=WAIT)
        assert a.state is not None and a.state.battle is not None
        streamer.call(server.url, "POST", f"/api/pk-battles/{a.state.battle.id}/accept")
        qtbot.waitUntil(lambda: a.phase is PKPhase.LIVE, timeout=WAIT)
        qtbot.waitUntil(lambda: a.live_page.them.live.text() == "● Live", timeout=WAIT)
        assert a.live_page.me.live.text() == "Not live"  # Alice has not gone live
        streamer.call(server.url, "DELETE", f"/api/pk-battles/{a.state.battle.id}")
        qtbot.waitUntil(lambda: a.phase is PKPhase.RESULT, timeout=WAIT)
        qtbot.waitUntil(lambda: a.versus.player is None, timeout=WAIT)  # stopped playing Zed
    finally:
        done.set()
        qtbot.waitUntil(lambda: all(hold.done() for hold in holds), timeout=WAIT)
