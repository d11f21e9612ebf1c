"""Issue 24: what other people wrote (display names, battle and session titles, product names)
is shown in the studio as the characters they typed, never rendered as markup.

Real backend, real studio window; the other people are accounts whose texts are markup
payloads. After each step every label, button, list item and tooltip of the window is checked.
"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from studio.core.state import PKPhase
from studio.ui.main_window import MainWindow
from studio.ui.panels.cohost import CohostPanel
from studio.ui.panels.pk import PKPanel
from studio.ui.panels.shopping import ShoppingPanel
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, make_account
from tests.studio.ui.test_pk_panel import find_user
from tests.studio.ui.user_text_check import scan

WAIT = 15_000
ALICE = "<i>Alice</i> & <u>friends</u>"  # the studio's own user: account button, welcome
MALLORY = '<h1 style="color:red">Account suspended</h1>'
FAN = "<font size=7 color=red>Top fan</font>"
BATTLE_TITLE = '<img src="x"><b>Rigged</b> battle'
SESSION_TITLE = '<a href="https://evil.example">Join</a> <big>now</big>'
PRODUCT = "<table><tr><td>Free</td></tr></table> lamp"
PAYLOADS = (ALICE, MALLORY, FAN, BATTLE_TITLE, SESSION_TITLE, PRODUCT)


def shown_as_text(window: MainWindow, *expected: str) -> None:
    """No payload renders as markup anywhere in the window, and each of ``expected`` is on
    it literally (the step really showed it)."""
    findings = scan(window, PAYLOADS)
    assert findings.markup == []
    assert findings.missing(expected) == set()


def panel(window: MainWindow, key: str) -> object:
    return window.docks[key].widget()


def connected(window: MainWindow, qtbot: QtBot) -> None:
    """The window is signed in and its event link is up (events reach it from now on)."""
    qtbot.waitUntil(lambda: "Connected" in window.link_label.text(), timeout=WAIT)


def test_names_and_titles_in_a_pk_battle_are_shown_as_text(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice = make_account(server.url, display=ALICE)
    mallory = make_account(server.url, display=MALLORY)
    fan = make_account(server.url, coins=1_000, display=FAN)
    window = studio(server.url, alice)
    pk = panel(window, "pk")
    assert isinstance(pk, PKPanel)
    qtbot.waitUntil(lambda: pk.phase is PKPhase.IDLE, timeout=WAIT)
    connected(window, qtbot)
    qtbot.waitUntil(lambda: any("Welcome" in m for m in window.toasts.messages), timeout=WAIT)
    find_user(pk.challenge_page.finder, mallory.username, qtbot)
    shown_as_text(window, ALICE, MALLORY)  # account button and welcome; the search result

    battle = mallory.call(
        server.url,
        "POST",
        "/api/pk-battles",
        json={"opponent": alice.id, "duration": 1, "title": BATTLE_TITLE},
    )
    assert isinstance(battle, dict)
    qtbot.waitUntil(lambda: pk.phase is PKPhase.INCOMING, timeout=WAIT)
    qtbot.waitUntil(lambda: any("PK challenge" in m for m in window.toasts.messages), timeout=WAIT)
    shown_as_text(window, MALLORY, BATTLE_TITLE)  # the invite card and the challenge toast

    pk.invite_page.accept.click()
    qtbot.waitUntil(lambda: pk.phase is PKPhase.LIVE, timeout=WAIT)
    gift = {"giftId": "star", "quantity": 1, "toHost": alice.id}
    fan.call(server.url, "POST", f"/api/pk-battles/{battle['id']}/gift", json=gift)
    qtbot.waitUntil(lambda: pk.live_page.feed.count() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: any("sent" in m for m in window.toasts.messages), timeout=WAIT)
    shown_as_text(window, MALLORY, FAN)  # host badge; gift feed, top fans, gift toast

    server.app.state.services.pk.end_battle(battle["id"])
    qtbot.waitUntil(lambda: pk.phase is PKPhase.RESULT, timeout=WAIT)
    shown_as_text(window, MALLORY)  # "… vs <opponent>"


def test_cohost_and_shop_texts_are_shown_as_text(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    alice = make_account(server.url, display=ALICE)
    mallory = make_account(server.url, coins=1_000, display=MALLORY)
    window = studio(server.url, alice)
    cohost, shop = panel(window, "cohost"), panel(window, "shopping")
    assert isinstance(cohost, CohostPanel) and isinstance(shop, ShoppingPanel)
    qtbot.waitUntil(lambda: cohost.pages.currentWidget() is cohost.start_page, timeout=WAIT)
    connected(window, qtbot)

    session = mallory.call(
        server.url,
        "POST",
        "/api/multihost",
        json={"title": SESSION_TITLE, "type": "podcast"},
    )
    assert isinstance(session, dict)
    invite = {"userId": alice.id}
    mallory.call(server.url, "POST", f"/api/multihost/{session['id']}/invite", json=invite)
    qtbot.waitUntil(lambda: cohost.start_page.accept.isEnabled(), timeout=WAIT)
    shown_as_text(window, MALLORY, SESSION_TITLE)  # the invitation and its toast

    cohost.start_page.accept.click()
    qtbot.waitUntil(lambda: cohost.session is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: cohost.session_page.host_row(mallory.id) is not None, timeout=WAIT)
    shown_as_text(window, MALLORY, SESSION_TITLE)  # the session card, the host rows

    qtbot.waitUntil(lambda: shop.pages.currentWidget() is shop.setup_page, timeout=WAIT)
    shop.setup_page.open.click()
    qtbot.waitUntil(lambda: shop.pages.currentWidget() is shop.tabs, timeout=WAIT)
    products = shop.products_tab
    products.name.setText(PRODUCT)
    products.submit.click()
    qtbot.waitUntil(lambda: products.catalog.count() == 1, timeout=WAIT)
    products.catalog.setCurrentRow(0)
    products.add.click()
    qtbot.waitUntil(lambda: products.live.count() == 1, timeout=WAIT)
    lamp = products.live.item(0).data(256)
    order = {"productId": lamp, "quantity": 1}
    mallory.call(server.url, "POST", f"/api/live-shopping/{shop.session_id}/orders", json=order)
    qtbot.waitUntil(lambda: shop.orders_tab.feed.count() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: any("New order" in m for m in window.toasts.messages), timeout=WAIT)
    shown_as_text(window, MALLORY, PRODUCT)  # catalog, live shop, orders feed, order toast
