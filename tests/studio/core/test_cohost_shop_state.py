"""Live-shopping view state from server payloads: products, stock, flash sales (no Qt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from studio.core.events import ServerEvent
from studio.core.state import ShopState
from wire.base import WireModel
from wire.events import Shopping
from wire.shopping import (
    FlashSale,
    LiveProduct,
    OrderChanged,
    ProductPinned,
    PublicOrder,
    SessionStats,
    ShopSession,
    SoldOut,
    Voucher,
    VoucherCreated,
)
from wire.users import UserCard

NOW = datetime.now(UTC)
SELLER = UserCard(id="seller", username="mia", display_name="Mia")


def _product(pid: str, stock: int, flash: FlashSale | None = None) -> LiveProduct:
    return LiveProduct(
        product_id=pid,
        name=pid.title(),
        description="",
        image_url="",
        regular_price=50,
        live_price=40,
        current_price=30 if flash else 40,
        stock=stock,
        sold_out=stock == 0,
        pinned=False,
        flash_sale=flash,
        added_at=NOW,
    )


def _order(status: str = "placed") -> PublicOrder:
    return PublicOrder(
        id="o1",
        session_id="shop",
        product_id="lamp",
        product_name="Lamp",
        buyer=UserCard(id="fan", username="fan", display_name="Fan"),
        seller_id="seller",
        quantity=2,
        flash_units=2,
        flash_price=30,
        live_price=40,
        subtotal=60,
        discount=0,
        total=60,
        status=status,
        created_at=NOW,
        updated_at=NOW,
        fulfilled_at=NOW if status == "fulfilled" else None,
        cancelled_at=None,
    )


def _event(name: str, payload: WireModel) -> ServerEvent:
    return ServerEvent(name, payload.to_wire())


def test_shop_orders_stock_pins_and_flash_countdown() -> None:
    state = ShopState("seller")
    flash = FlashSale(
        price=30,
        quantity=2,
        remaining=2,
        ends_at=NOW + timedelta(seconds=90),
        remaining_ms=90_000,
        status="active",
        ended_reason=None,
    )
    state.load(
        ShopSession(
            id="shop",
            title="Friday deals",
            description="",
            status="live",
            seller=SELLER,
            started_at=NOW,
            ended_at=None,
            pinned_product=None,
            products=[_product("lamp", 2, flash), _product("mug", 5)],
            vouchers=[],
            pin_history=[],
            stats=SessionStats(orders=0, units_sold=0, revenue=0),
            created_at=NOW,
            updated_at=NOW,
            server_time=NOW,
        )
    )
    assert 85 < state.flash_seconds_left(state.products["lamp"]) <= 90
    assert state.flash_seconds_left(state.products["mug"]) == 0
    mug = _product("mug", 5).model_copy(update={"pinned": True})
    pinned = ProductPinned(session_id="shop", product=mug, previous_product_id=None)
    assert state.apply(_event(Shopping.PRODUCT_PINNED, pinned))
    assert state.pinned is not None and state.pinned.product_id == "mug"

    event = OrderChanged(session_id="shop", order=_order(), product=_product("lamp", 0))
    assert state.apply(_event(Shopping.ORDER, event))
    state.apply(_event(Shopping.ORDER, event))  # delivered twice: listed once
    assert [o.buyer for o in state.orders] == [_order().buyer]
    assert state.products["lamp"].sold_out
    done = event.model_copy(update={"order": _order("fulfilled")})
    state.apply(_event(Shopping.ORDER_UPDATED, done))
    assert [o.status for o in state.orders] == ["fulfilled"]
    state.apply(_event(Shopping.SOLD_OUT, SoldOut(session_id="shop", product_id="mug")))
    assert state.products["mug"].sold_out and state.products["mug"].stock == 0
    voucher = Voucher(
        code="HI",
        type="percent",
        value=10,
        min_order=0,
        usage_limit=None,
        per_user_limit=1,
        used=0,
        remaining=None,
        expires_at=None,
    )
    state.apply(_event(Shopping.VOUCHER, VoucherCreated(session_id="shop", voucher=voucher)))
    assert state.vouchers["HI"] == voucher
    elsewhere = SoldOut(session_id="x", product_id="mug")
    assert not state.apply(_event(Shopping.SOLD_OUT, elsewhere))
