"""Shopping panel: the seller's products, the live shop (live price, flash sales with a countdown
on the server's clock, pin, stock and sold-out), vouchers, the orders feed and analytics.

State comes from REST snapshots and ``live-shopping:*`` events, folded into
:class:`studio.core.state.ShopState`; the shop session the panel manages is remembered in the
settings, so it survives a restart of the studio.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.api_client import ApiError
from studio.core.events import ServerEvent
from studio.core.settings_store import StudioSettings
from studio.core.state import ShopState
from studio.core.wording import coins, counted, voucher_label
from studio.ui import theme
from studio.ui.panels.common import RoomFollower, ServerPanel
from studio.ui.parts import PanelParts
from studio.ui.user_text import plain_tip
from studio.ui.widgets import (
    CountSpin,
    PlaceholderList,
    SpinBox,
    clock_text,
    dim,
    role_button,
    section,
)
from wire.events import Shopping, shopping_room
from wire.shopping import (
    LiveProduct,
    OrderChanged,
    Product,
    PublicOrder,
    ShopAnalytics,
    SoldOut,
)
from wire.users import Account


def buyer_name(order: PublicOrder) -> str:
    return order.buyer.label if order.buyer is not None else "someone"


def selected(widget: QListWidget) -> object:
    item = widget.currentItem()
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


class BarChart(QWidget):
    """Horizontal bars with labels and values (drawn here: QtCharts is not in Essentials)."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: list[tuple[str, int]] = []
        self.setMinimumHeight(120)

    def sizeHint(self) -> QSize:
        return QSize(300, 150)

    def set_bars(self, bars: list[tuple[str, int]]) -> None:
        self.bars = bars
        self.setMinimumHeight(max(120, 28 * len(bars) + 8))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(painter.font())
        font.setPixelSize(12)
        painter.setFont(font)
        if not self.bars:
            painter.setPen(QColor(theme.TEXT_DIM))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No sales yet")
            return
        top = max(1, max(value for _, value in self.bars))
        label_w, value_w = self.width() * 0.32, 64.0
        span = max(1.0, self.width() - label_w - value_w - 8)
        for row, (label, value) in enumerate(self.bars):
            y = 4 + row * 28
            painter.setPen(QColor(theme.TEXT))
            elided = painter.fontMetrics().elidedText(
                label, Qt.TextElideMode.ElideRight, int(label_w - 8)
            )
            box = QRectF(0, y, label_w - 8, 22)
            painter.drawText(
                box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(theme.SURFACE_HIGH))
            painter.drawRoundedRect(QRectF(label_w, y + 3, span, 16), 8, 8)
            painter.setBrush(QColor(theme.ACCENT))
            painter.drawRoundedRect(QRectF(label_w, y + 3, max(4.0, span * value / top), 16), 8, 8)
            painter.setPen(QColor(theme.TEXT_DIM))
            painter.drawText(
                QRectF(label_w + span + 8, y, value_w, 22),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                f"{value:,}",
            )


class SetupPage(QWidget):
    def __init__(self, panel: ShoppingPanel) -> None:
        super().__init__()
        self.title = QLineEdit()
        self.title.setPlaceholderText("Shop title, e.g. Friday deals")
        self.open = role_button("Open the live shop", "primary")
        self.open.clicked.connect(lambda: panel.open_shop(self.title.text().strip()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section("Sell while you stream"))
        layout.addWidget(self.title)
        layout.addWidget(self.open)
        layout.addWidget(dim("Viewers buy pinned products with coins; stock and prices are live."))
        layout.addStretch()


class ProductsTab(QWidget):
    def __init__(self, panel: ShoppingPanel) -> None:
        super().__init__()
        self.panel = panel
        self.name = QLineEdit()
        self.name.setPlaceholderText("Product name")
        self.price = CountSpin(1, 1_000_000, 100, "coin")
        self.stock = SpinBox(0, 1_000_000, 10, " in stock")
        self.submit = QPushButton("Create product")
        self.submit.clicked.connect(self._create)
        self.catalog = PlaceholderList("No products yet: name one above and create it.")
        self.catalog.setMaximumHeight(150)
        self.live_price = CountSpin(1, 1_000_000, 100, "coin")
        self.flash = QCheckBox("Flash sale when added")
        self.flash_price = CountSpin(1, 1_000_000, 80, "coin")
        self.flash_quantity = CountSpin(1, 1_000_000, 5, "unit")
        self.flash_seconds = SpinBox(5, 86_400, 120, " s")
        self.add = role_button("Add to live shop", "primary")
        self.add.clicked.connect(self._add)
        self.catalog.currentItemChanged.connect(lambda *_: self._picked())
        self.live = PlaceholderList("Nothing on sale yet: pick a product above and add it.")
        self.pin = QPushButton("Pin / unpin")
        self.pin.clicked.connect(self._pin)
        self.flash_now = QPushButton("⚡ Flash sale now")
        self.flash_now.setToolTip("Start a flash sale on the selected product with the terms above")
        self.flash_now.clicked.connect(self._flash_now)
        self.live.currentItemChanged.connect(lambda *_: self._picked_live())
        for listing in (self.catalog, self.live):  # a long name gives way to price and stock
            listing.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        numbers = QHBoxLayout()
        numbers.addWidget(self.price, 1)
        numbers.addWidget(self.stock, 1)
        flash_terms = QGridLayout()
        flash_terms.setContentsMargins(24, 0, 0, 0)  # under the check box's label
        flash_terms.setVerticalSpacing(2)
        captions = ("Flash price", "Units on sale", "Lasts")
        for column, (caption, box) in enumerate(zip(captions, self.flash_terms(), strict=True)):
            label = dim(caption)
            label.setBuddy(box)
            flash_terms.addWidget(label, 0, column)
            flash_terms.addWidget(box, 1, column)
            flash_terms.setColumnStretch(column, 1)
        form = QFormLayout()
        form.addRow("Live price", self.live_price)
        layout = QVBoxLayout(self)
        layout.addWidget(section("Your products"))
        layout.addWidget(self.name)
        layout.addLayout(numbers)
        layout.addWidget(self.submit)
        layout.addWidget(self.catalog)
        layout.addLayout(form)
        layout.addWidget(self.flash)
        layout.addLayout(flash_terms)
        layout.addWidget(self.add)
        layout.addWidget(section("In the live shop"))
        layout.addWidget(self.live, 1)
        live_actions = QHBoxLayout()
        live_actions.addWidget(self.pin, 1)
        live_actions.addWidget(self.flash_now, 1)
        layout.addLayout(live_actions)

    def flash_terms(self) -> tuple[SpinBox, ...]:
        return (self.flash_price, self.flash_quantity, self.flash_seconds)

    def show_catalog(self, products: list[Product]) -> None:
        self.catalog.clear()
        for product in products:
            item = QListWidgetItem()
            self._show_product(item, product)
            self.catalog.addItem(item)

    def show_stock(self, product_id: str, stock: int) -> None:
        """A product's stock changed (an order, a cancelled order, sold out)."""
        for row in range(self.catalog.count()):
            item = self.catalog.item(row)
            product = item.data(Qt.ItemDataRole.UserRole)
            if isinstance(product, Product) and product.id == product_id:
                self._show_product(item, product.model_copy(update={"stock": stock}))

    @staticmethod
    def _show_product(item: QListWidgetItem, product: Product) -> None:
        item.setText(f"{product.name} · {coins(product.price)} · {product.stock} left")
        item.setToolTip(plain_tip(product.name))
        item.setData(Qt.ItemDataRole.UserRole, product)

    def show_live(self, state: ShopState) -> None:
        current = selected(self.live)
        self.live.clear()
        for product in state.products.values():
            item = QListWidgetItem(self.describe(product, state))
            item.setToolTip(plain_tip(product.name))
            item.setData(Qt.ItemDataRole.UserRole, product.product_id)
            if product.sold_out:
                item.setForeground(QColor(theme.TEXT_DIM))
            elif product.pinned:
                item.setForeground(QColor(theme.ACCENT))
            self.live.addItem(item)
            if product.product_id == current:
                self.live.setCurrentItem(item)

    @staticmethod
    def describe(product: LiveProduct, state: ShopState) -> str:
        parts = [
            ("📌 " if product.pinned else "") + product.name,
            coins(product.current_price),
        ]
        parts.append("SOLD OUT" if product.sold_out else f"{product.stock} left")
        left = state.flash_seconds_left(product)
        if left > 0 and product.flash_sale is not None:
            flash = product.flash_sale
            parts.append(f"⚡ {flash.remaining}/{flash.quantity} · {clock_text(left)}")
        return " · ".join(parts)

    def _picked(self) -> None:
        product = selected(self.catalog)
        if isinstance(product, Product):
            self.live_price.setValue(product.price)
            self.flash_price.setValue(max(1, product.price * 8 // 10))

    def _picked_live(self) -> None:
        state, product_id = self.panel.state, selected(self.live)
        product = state.products.get(product_id) if state and isinstance(product_id, str) else None
        if product is not None:
            self.flash_price.setValue(max(1, product.live_price * 8 // 10))

    def _create(self) -> None:
        if self.name.text().strip():
            self.panel.create_product(
                self.name.text().strip(), self.price.value(), self.stock.value()
            )

    def _add(self) -> None:
        product = selected(self.catalog)
        if isinstance(product, Product):
            flash = None
            if self.flash.isChecked():
                flash = (
                    self.flash_price.value(),
                    self.flash_quantity.value(),
                    self.flash_seconds.value(),
                )
            self.panel.add_product(product.id, self.live_price.value(), flash)

    def _flash_now(self) -> None:
        product_id = selected(self.live)
        if isinstance(product_id, str):
            terms = (
                self.flash_price.value(),
                self.flash_quantity.value(),
                self.flash_seconds.value(),
            )
            self.panel.start_flash_sale(product_id, terms)

    def _pin(self) -> None:
        product_id = selected(self.live)
        if isinstance(product_id, str):
            self.panel.toggle_pin(product_id)


class OrdersTab(QWidget):
    def __init__(self, panel: ShoppingPanel) -> None:
        super().__init__()
        self.feed = PlaceholderList("No orders yet. They appear here as viewers buy.")
        self.feed.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # names give way to the total
        self.fulfil = role_button("Mark fulfilled", "primary")
        self.cancel = role_button("Cancel and refund", "danger")
        self.fulfil.clicked.connect(lambda: self._set(panel, "fulfilled"))
        self.cancel.clicked.connect(lambda: self._set(panel, "cancelled"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.fulfil, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.feed, 1)
        layout.addLayout(buttons)

    def show_orders(self, state: ShopState) -> None:
        current = selected(self.feed)
        self.feed.clear()
        for order in state.orders:
            mark = {"fulfilled": "✓", "cancelled": "✕"}.get(order.status, "●")
            item = QListWidgetItem(
                f"{mark} {buyer_name(order)} · {order.quantity}× {order.product_name} ·"
                f" {coins(order.total)}" + (f" (−{order.discount:,})" if order.discount else "")
            )
            tip = f"{buyer_name(order)}: {order.quantity}× {order.product_name}"
            item.setToolTip(plain_tip(tip))
            item.setData(Qt.ItemDataRole.UserRole, order.id)
            colour = {"fulfilled": theme.SUCCESS, "cancelled": theme.TEXT_DIM}
            item.setForeground(QColor(colour.get(order.status, theme.TEXT)))
            self.feed.addItem(item)
            if order.id == current:
                self.feed.setCurrentItem(item)

    def _set(self, panel: ShoppingPanel, status: str) -> None:
        order_id = selected(self.feed)
        if isinstance(order_id, str):
            panel.set_order_status(order_id, status)


class VouchersTab(QWidget):
    def __init__(self, panel: ShoppingPanel) -> None:
        super().__init__()
        self.code = QLineEdit()
        self.code.setPlaceholderText("Voucher code, e.g. FRIDAY10")
        self.kind = QComboBox()
        self.kind.addItem("% off", "percent")
        self.kind.addItem("coins off", "fixed")
        self.value = SpinBox(1, 1_000_000, 10)
        self.limit = CountSpin(1, 1_000_000, 50, "use")
        self.submit = QPushButton("Create voucher")
        self.submit.clicked.connect(
            lambda: panel.create_voucher(
                self.code.text().strip(),
                str(self.kind.currentData()),
                self.value.value(),
                self.limit.value(),
            )
        )
        self.list = PlaceholderList("No vouchers yet.")
        terms = QHBoxLayout()
        for widget in (self.value, self.kind, self.limit):
            terms.addWidget(widget, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.code)
        layout.addLayout(terms)
        layout.addWidget(self.submit)
        layout.addWidget(self.list, 1)

    def show_vouchers(self, state: ShopState) -> None:
        self.list.clear()
        for voucher in state.vouchers.values():
            left = "unlimited" if voucher.remaining is None else f"{voucher.remaining} left"
            label = voucher_label(voucher.type, voucher.value)
            self.list.addItem(f"{voucher.code} · {label} · used {voucher.used} · {left}")


class AnalyticsTab(QWidget):
    def __init__(self, panel: ShoppingPanel) -> None:
        super().__init__()
        self.totals = QLabel("—")
        self.totals.setObjectName("title")
        self.detail = dim()
        self.revenue = BarChart()
        self.units = BarChart()
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(panel.load_analytics)
        layout = QVBoxLayout(self)
        layout.addWidget(self.totals)
        layout.addWidget(self.detail)
        layout.addWidget(section("Revenue by product (coins)"))
        layout.addWidget(self.revenue)
        layout.addWidget(section("Units sold"))
        layout.addWidget(self.units)
        layout.addStretch()
        layout.addWidget(refresh)

    def show_analytics(self, stats: ShopAnalytics) -> None:
        totals = stats.totals
        self.totals.setText(f"{coins(totals.revenue)} · {counted(totals.orders, 'order')}")
        self.detail.setText(
            f"{counted(totals.units_sold, 'unit')} · {counted(totals.unique_viewers, 'viewer')}"
            " · conversion"
            f" {totals.conversion_rate:.0%} · average order {totals.average_order_value:,.0f}"
            f" · flash sell-through {stats.flash_sales.sell_through:.0%}"
        )
        self.revenue.set_bars([(p.name, p.revenue) for p in stats.products])
        self.units.set_bars([(p.name, p.units_sold) for p in stats.products])


class ShoppingPanel(ServerPanel):
    loading_text = "Loading your shop"

    def __init__(
        self,
        parts: PanelParts,
        *,
        settings: StudioSettings,
    ) -> None:
        super().__init__(parts, "Sign in to sell in your stream.")
        self.settings = settings
        self.state: ShopState | None = None
        self.room = RoomFollower(parts.account, shopping_room)
        self.setup_page = SetupPage(self)
        self.tabs = QTabWidget()
        self.products_tab = ProductsTab(self)
        self.orders_tab = OrdersTab(self)
        self.vouchers_tab = VouchersTab(self)
        self.analytics_tab = AnalyticsTab(self)
        self.tabs.addTab(self.products_tab, "Products")
        self.tabs.addTab(self.orders_tab, "Orders")
        self.tabs.addTab(self.vouchers_tab, "Vouchers")
        self.tabs.addTab(self.analytics_tab, "Analytics")
        self.tabs.currentChanged.connect(
            lambda index: index == 3 and self.load_analytics()  # type: ignore[func-returns-value]
        )
        self.add_pages(self.setup_page, self.tabs)

    @property
    def session_id(self) -> str:
        return self.state.session.id if self.state is not None and self.state.session else ""

    # ---- actions --------------------------------------------------------------------
    def open_shop(self, title: str) -> None:
        self.tasks.spawn(self._open(title or "Live shop"), "Opening the shop")

    def create_product(self, name: str, price: int, stock: int) -> None:
        self.tasks.spawn(self._create_product(name, price, stock), "Creating the product")

    def add_product(self, product_id: str, price: int, flash: tuple[int, int, int] | None) -> None:
        api = self.account.api
        self.tasks.spawn(
            api.add_live_product(self.session_id, product_id, price, flash), "Adding the product"
        )  # live-shopping:product-added updates the list

    def start_flash_sale(self, product_id: str, terms: tuple[int, int, int]) -> None:
        api = self.account.api
        self.tasks.spawn(
            api.start_flash_sale(self.session_id, product_id, terms), "Starting the flash sale"
        )  # live-shopping:flash-sale updates the list

    def toggle_pin(self, product_id: str) -> None:
        state = self.state
        if state is not None:
            pinned = state.pinned is not None and state.pinned.product_id == product_id
            api = self.account.api
            self.tasks.spawn(
                api.pin_product(self.session_id, None if pinned else product_id), "Pinning"
            )

    def set_order_status(self, order_id: str, status: str) -> None:
        api = self.account.api
        self.tasks.spawn(
            api.set_order_status(self.session_id, order_id, status), "Updating the order"
        )

    def create_voucher(self, code: str, kind: str, value: int, limit: int) -> None:
        api = self.account.api
        self.tasks.spawn(
            api.create_voucher(self.session_id, code, kind, value, usage_limit=limit),
            "Creating the voucher",
        )

    def load_analytics(self) -> None:
        if self.session_id:
            self.tasks.spawn(self._analytics(), "Loading the analytics")

    async def _open(self, title: str) -> None:
        api = self.account.api
        shop = await api.start_shop_session((await api.create_shop_session(title)).id)
        self.settings.shop_session_id = shop.id
        self.account.store.save(self.settings)
        if self.state is not None:
            self.state.load(shop)
            await self.room.follow(shop.id)
            self.refresh()

    async def _create_product(self, name: str, price: int, stock: int) -> None:
        await self.account.api.create_product(name, price, stock)
        self.products_tab.name.clear()  # ready for the next one
        await self._load_catalog()

    async def _load_catalog(self) -> None:
        self.products_tab.show_catalog(await self.account.api.products())

    async def _analytics(self) -> None:
        stats = await self.account.api.shop_analytics(self.session_id)
        self.analytics_tab.show_analytics(stats)

    # ---- server state ---------------------------------------------------------------
    def signed_in(self, user: Account | None) -> None:
        self.state = ShopState(user.id) if user is not None else None
        self.room.reset()
        self.refresh()
        if user is not None:
            self.reload()

    async def _fetch(self) -> None:
        state = self.state
        if state is None:
            return
        await self._load_catalog()
        shop_id = self.settings.shop_session_id
        if shop_id:
            api = self.account.api
            try:
                shop = await api.shop_session(shop_id)
            except ApiError as exc:
                if exc.status not in (403, 404):
                    raise
                shop = None
            mine = shop is not None and shop.seller is not None and shop.seller.id == state.me
            if shop is not None and mine and shop.status != "ended":
                state.load(shop)
                state.load_orders(await api.shop_orders(shop.id))
                await self.room.follow(shop.id)
        self.refresh()

    def event_received(self, event: ServerEvent) -> None:
        state = self.state
        if state is None or not event.name.startswith("live-shopping:"):
            return
        if state.apply(event):
            payload = event.payload()
            if isinstance(payload, OrderChanged | SoldOut):
                self._show_stock(state, payload)
            if isinstance(payload, OrderChanged) and event.name == Shopping.ORDER:
                order = payload.order
                self.toasts.show_toast(
                    f"New order: {order.quantity}× {order.product_name}",
                    f"{buyer_name(order)} · {coins(order.total)}",
                    kind="success",
                    group="order",
                )
            self.refresh()

    def _show_stock(self, state: ShopState, change: OrderChanged | SoldOut) -> None:
        """The stock in "Your products" follows orders, refunds and sell-outs (one stock per
        product, the live shop's and the catalog's)."""
        product_id = change.product_id if isinstance(change, SoldOut) else change.product.product_id
        live = state.products.get(product_id)
        if live is not None:
            self.products_tab.show_stock(live.product_id, live.stock)

    # ---- rendering ------------------------------------------------------------------
    def refresh(self) -> None:
        state = self.state
        if state is None:
            self.show_page(self.signed_out)
        elif state.session is None or state.session.status == "ended":
            self.show_page(self.setup_page)
        else:
            self.products_tab.show_live(state)
            self.orders_tab.show_orders(state)
            self.vouchers_tab.show_vouchers(state)
            ticking = any(state.flash_seconds_left(p) > 0 for p in state.products.values())
            self.show_page(self.tabs, ticking=ticking)

    def tick(self) -> None:
        state = self.state
        if state is not None:
            live = self.products_tab.live
            for row in range(live.count()):
                item = live.item(row)
                product = state.products.get(str(item.data(Qt.ItemDataRole.UserRole)))
                if product is not None:
                    item.setText(ProductsTab.describe(product, state))
