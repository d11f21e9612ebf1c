"""The shop panel end to end: a product pinned from the panel, orders from the API in the feed,
the stock of "Your products" following them, placeholders in the empty lists."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from studio.ui.main_window import MainWindow
from studio.ui.panels.shopping import ShoppingPanel
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, make_account

WAIT = 15_000


def shop_panel(window: MainWindow) -> ShoppingPanel:
    panel = window.docks["shopping"].widget()
    assert isinstance(panel, ShoppingPanel)
    return panel


def test_pin_a_product_and_orders_update_the_feed_and_stock(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot
) -> None:
    seller = make_account(server.url, display="Mia Sells")
    buyer = make_account(server.url, coins=5_000, display="Big Fan")
    window = studio(server.url, seller)
    panel = shop_panel(window)
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.setup_page, timeout=WAIT)
    panel.setup_page.title.setText("Friday deals")
    panel.setup_page.open.click()
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.tabs, timeout=WAIT)
    assert window.settings.shop_session_id == panel.session_id

    products = panel.products_tab
    feed = panel.orders_tab.feed
    for empty in (products.catalog, products.live, feed, panel.vouchers_tab.list):
        assert empty.placeholder_shown
    for term in products.flash_terms():  # each flash-sale number has a caption
        assert any(
            label.buddy() is term and label.text() for label in products.findChildren(QLabel)
        )
    products.name.setText("Moon lamp")
    products.price.setValue(120)
    products.stock.setValue(3)
    products.submit.click()
    qtbot.waitUntil(lambda: products.catalog.count() == 1, timeout=WAIT)
    assert not products.catalog.placeholder_shown
    assert "3 left" in products.catalog.item(0).text()
    products.catalog.setCurrentRow(0)
    assert products.live_price.value() == 120
    products.flash.setChecked(True)
    products.flash_price.setValue(90)
    products.flash_quantity.setValue(2)
    products.add.click()
    qtbot.waitUntil(lambda: products.live.count() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: "⚡ 2/2 · 2:0" in products.live.item(0).text(), timeout=WAIT)
    products.live.setCurrentRow(0)
    products.pin.click()
    qtbot.waitUntil(lambda: products.live.item(0).text().startswith("📌"), timeout=WAIT)

    # A viewer buys through the API: the feed, the stock and the flash sale follow.
    shop, lamp = panel.session_id, products.live.item(0).data(256)
    order = {"productId": lamp, "quantity": 2}
    buyer.call(server.url, "POST", f"/api/live-shopping/{shop}/orders", json=order)
    qtbot.waitUntil(lambda: feed.count() == 1, timeout=WAIT)
    assert not feed.placeholder_shown
    assert "Big Fan · 2× Moon lamp · 180 coins" in feed.item(0).text()
    qtbot.waitUntil(lambda: "1 left" in products.live.item(0).text(), timeout=WAIT)
    assert "Moon lamp · 120 coins · 1 left" in products.catalog.item(0).text()  # your products
    assert "⚡" not in products.live.item(0).text()  # sold through
    assert any("New order" in m for m in window.toasts.messages)

    # Another flash sale on the product already in the shop, from the live list.
    products.live.setCurrentRow(0)
    assert products.flash_price.value() == 96  # 80% of the live price
    products.flash_price.setValue(100)
    products.flash_quantity.setValue(1)
    products.flash_now.click()
    qtbot.waitUntil(lambda: "⚡ 1/1" in products.live.item(0).text(), timeout=WAIT)
    assert "100 coins" in products.live.item(0).text()

    buyer.call(server.url, "POST", f"/api/live-shopping/{shop}/orders", json={"productId": lamp})
    qtbot.waitUntil(lambda: "SOLD OUT" in products.live.item(0).text(), timeout=WAIT)
    assert "0 left" in products.catalog.item(0).text()
    assert feed.count() == 2 and "100 coins" in feed.item(0).text()

    # The seller fulfils an order; analytics chart the sales.
    feed.setCurrentRow(0)
    panel.orders_tab.fulfil.click()
    qtbot.waitUntil(lambda: feed.item(0).text().startswith("✓"), timeout=WAIT)
    panel.tabs.setCurrentWidget(panel.analytics_tab)
    qtbot.waitUntil(lambda: panel.analytics_tab.revenue.bars == [("Moon lamp", 280)], timeout=WAIT)
    assert "2 orders" in panel.analytics_tab.totals.text()

    # A cancelled order puts its units back in stock, in "Your products" too.
    feed.setCurrentRow(1)
    panel.orders_tab.cancel.click()
    qtbot.waitUntil(lambda: feed.item(1).text().startswith("✕"), timeout=WAIT)
    qtbot.waitUntil(lambda: "2 left" in products.catalog.item(0).text(), timeout=WAIT)
