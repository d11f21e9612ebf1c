"""Live shopping: a seller's catalog, live sessions, flash sales, vouchers, orders, analytics.

Money is whole coins everywhere (ints). Every number here is computed by the backend; clients
show it.
"""

from __future__ import annotations

from typing import Literal

from wire.base import Replayable, Timestamp, WireModel
from wire.events import Shopping
from wire.users import UserCard
from wire.wallet import Balance

SessionStatus = Literal["scheduled", "live", "ended"]
OrderStatus = Literal["placed", "fulfilled", "cancelled"]
VoucherType = Literal["percent", "fixed"]
InteractionType = Literal["view", "click", "cart-add"]
FlashStatus = Literal["active", "ended"]


class Product(WireModel):
    """One of a seller's own products (``/api/products``): what a session can sell."""

    id: str
    seller_id: str
    name: str
    description: str
    image_url: str
    price: int
    stock: int
    created_at: Timestamp
    updated_at: Timestamp


class FlashSale(WireModel):
    """A product's flash sale: ``remaining`` units at ``price`` until ``ends_at``."""

    price: int
    quantity: int
    remaining: int
    ends_at: Timestamp
    remaining_ms: int  # 0 once it is over
    status: FlashStatus
    ended_reason: str | None  # expired, sold-through, session-ended

    @property
    def active(self) -> bool:
        return self.status == "active"


class LiveProduct(WireModel):
    """A product in a live session: its live price, stock and flash sale."""

    product_id: str
    name: str
    description: str
    image_url: str
    regular_price: int
    live_price: int
    current_price: int  # the flash price while the sale runs, else the live price
    stock: int
    sold_out: bool
    pinned: bool
    flash_sale: FlashSale | None
    added_at: Timestamp


class Voucher(WireModel):
    code: str
    type: VoucherType
    value: int  # percent off, or coins off
    min_order: int
    usage_limit: int | None  # None: unlimited
    per_user_limit: int
    used: int
    remaining: int | None
    expires_at: Timestamp | None


class Payment(WireModel):
    provider: str
    reference: str | None


class PublicOrder(WireModel):
    """An order as the session's room sees it (no voucher code, no payment)."""

    id: str
    session_id: str
    product_id: str
    product_name: str
    buyer: UserCard | None
    seller_id: str
    quantity: int
    flash_units: int
    flash_price: int | None
    live_price: int
    subtotal: int
    discount: int
    total: int
    status: OrderStatus
    created_at: Timestamp
    updated_at: Timestamp
    fulfilled_at: Timestamp | None
    cancelled_at: Timestamp | None


class Order(PublicOrder):
    """An order as its buyer and seller see it."""

    voucher_code: str | None
    payment: Payment


class PlacedOrder(Order, Replayable):
    """``POST /orders``: the order and the buyer's balance after paying."""

    balance: Balance


class SessionSummary(WireModel):
    id: str
    title: str
    description: str
    status: SessionStatus
    seller: UserCard | None
    started_at: Timestamp | None
    ended_at: Timestamp | None


class Pin(WireModel):
    product_id: str
    pinned_at: Timestamp
    unpinned_at: Timestamp | None


class SessionStats(WireModel):
    orders: int
    units_sold: int
    revenue: int


class ShopSession(SessionSummary):
    """A session with everything a viewer or the seller shows."""

    pinned_product: LiveProduct | None
    products: list[LiveProduct]
    vouchers: list[Voucher]
    pin_history: list[Pin]
    stats: SessionStats
    created_at: Timestamp
    updated_at: Timestamp
    server_time: Timestamp  # count flash-sale deadlines on this clock


class PinResult(WireModel):
    pinned_product: LiveProduct | None
    previous_product_id: str | None


class Interaction(WireModel):
    session_id: str
    product_id: str
    type: InteractionType


class VoucherCheck(WireModel):
    """``POST /vouchers/use``: the voucher applies; with a product, what it takes off."""

    voucher: Voucher
    subtotal: int | None
    discount: int | None


class Checkout(WireModel):
    """``POST /checkout``: the order priced by the server, about to be confirmed. A voucher's
    use is held for this buyer until ``hold_until`` (a short while)."""

    product_id: str
    quantity: int
    flash_units: int
    subtotal: int
    discount: int
    total: int
    voucher_code: str | None
    hold_until: Timestamp | None


class TopPerformer(WireModel):
    rank: int
    session: SessionSummary
    revenue: int
    orders: int
    units_sold: int


class Interactions(WireModel):
    views: int
    unique_views: int
    clicks: int
    cart_adds: int


class Sales(WireModel):
    orders: int
    units_sold: int
    revenue: int
    discounts: int
    flash_units: int


class ShopTotals(Interactions, Sales):
    unique_viewers: int
    conversion_rate: float  # orders / unique product views
    average_order_value: float
    cancelled_orders: int
    refunded: int


class FlashResult(WireModel):
    price: int
    quantity: int
    sold: int
    sell_through: float
    status: FlashStatus
    ended_reason: str | None


class ProductStats(Interactions, Sales):
    product_id: str
    name: str
    conversion_rate: float
    stock: int
    flash_sale: FlashResult | None


class FlashSummary(WireModel):
    count: int
    offered: int
    sold: int
    sell_through: float
    sold_through_count: int


class ShopAnalytics(WireModel):
    session_id: str
    status: SessionStatus
    totals: ShopTotals
    products: list[ProductStats]
    flash_sales: FlashSummary


# ---- /ws payloads (room live-shopping:{id}; orders also to the buyer's and seller's rooms) ----
class SessionChanged(WireModel):
    """live-shopping:started / live-shopping:ended."""

    session_id: str
    session: ShopSession


class ProductAdded(WireModel):
    session_id: str
    product: LiveProduct


class ProductPinned(WireModel):
    session_id: str
    product: LiveProduct | None  # None: unpinned
    previous_product_id: str | None


class FlashSaleStarted(WireModel):
    session_id: str
    product: LiveProduct
    countdown: FlashSale


class FlashSaleEnded(WireModel):
    session_id: str
    product_id: str
    reason: str
    product: LiveProduct


class OrderChanged(WireModel):
    """live-shopping:order (placed) / live-shopping:order-updated (fulfilled or cancelled)."""

    session_id: str
    order: PublicOrder
    product: LiveProduct


class SoldOut(WireModel):
    session_id: str
    product_id: str


class VoucherCreated(WireModel):
    session_id: str
    voucher: Voucher


EVENTS: dict[str, type[WireModel]] = {
    Shopping.STARTED: SessionChanged,
    Shopping.ENDED: SessionChanged,
    Shopping.PRODUCT_ADDED: ProductAdded,
    Shopping.PRODUCT_PINNED: ProductPinned,
    Shopping.FLASH_SALE: FlashSaleStarted,
    Shopping.FLASH_SALE_ENDED: FlashSaleEnded,
    Shopping.ORDER: OrderChanged,
    Shopping.ORDER_UPDATED: OrderChanged,
    Shopping.SOLD_OUT: SoldOut,
    Shopping.VOUCHER: VoucherCreated,
}
