"""/api/live-shopping: the spec's thirteen endpoints plus checkout, the order list and order
status, thin over the live-shopping services. Prices are whole coins (integers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, IdempotencyKey, ServicesDep
from backend.api.models import Body
from backend.api.responses import answer_once, ok
from backend.errors import DomainError
from backend.services.shopping.orders import Basket
from wire.base import Ok
from wire.shopping import (
    Checkout,
    Interaction,
    LiveProduct,
    Order,
    PinResult,
    PlacedOrder,
    ShopAnalytics,
    ShopSession,
    TopPerformer,
    Voucher,
    VoucherCheck,
)
from wire.wallet import Balance

router = APIRouter(prefix="/api/live-shopping", tags=["live-shopping"])
Id = Annotated[str, Field(min_length=1, max_length=64)]
Coins = Annotated[int, Field(strict=True)]


class CreateSession(Body):
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1000)


class FlashSale(Body):
    price: Coins
    quantity: int
    expiresIn: int


class AddProduct(Body):
    productId: Id
    livePrice: Coins | None = None
    flashSale: FlashSale | None = None


class Pin(Body):
    productId: Id | None


class Track(Body):
    productId: Id
    type: str = Field(max_length=16)


class PlaceOrder(Body):
    productId: Id
    quantity: int = 1
    voucherCode: str | None = Field(default=None, min_length=1, max_length=32)

    def basket(self) -> Basket:
        return Basket(self.productId, self.quantity, self.voucherCode)


class OrderStatus(Body):
    status: str = Field(max_length=16)


class CreateVoucher(Body):
    code: str = Field(min_length=1, max_length=32)
    type: str = Field(max_length=16)
    value: Coins
    minOrder: Coins = 0
    usageLimit: int | None = None
    perUserLimit: int = 1
    expiresIn: int | None = None


class CheckOut(PlaceOrder):
    """The order the buyer is about to confirm (same fields as placing it)."""


class UseVoucher(Body):
    code: str = Field(min_length=1, max_length=32)
    productId: Id | None = None
    quantity: int = 1


@router.post("", status_code=201)
async def create(body: CreateSession, user: CurrentUser, services: ServicesDep) -> Ok[ShopSession]:
    return ok(services.shopping.sessions.create(user.id, body.title, body.description))


@router.get("/active/list")
async def active(viewer: AnyViewer, services: ServicesDep) -> Ok[list[ShopSession]]:
    return ok(services.shopping.sessions.active())


@router.get("/top/performers")
async def top_performers(
    viewer: AnyViewer, services: ServicesDep, limit: int = Query(10, ge=1, le=100)
) -> Ok[list[TopPerformer]]:
    return ok(services.shopping.analytics.top_performers(limit))


@router.get("/{session_id}")
async def detail(session_id: str, viewer: AnyViewer, services: ServicesDep) -> Ok[ShopSession]:
    return ok(services.shopping.sessions.get(session_id, viewer.id))


@router.post("/{session_id}/start")
async def start(session_id: str, user: CurrentUser, services: ServicesDep) -> Ok[ShopSession]:
    return ok(services.shopping.sessions.start(session_id, user.id))


@router.post("/{session_id}/end")
async def end(session_id: str, user: CurrentUser, services: ServicesDep) -> Ok[ShopSession]:
    return ok(services.shopping.sessions.end(session_id, user.id))


@router.post("/{session_id}/products", status_code=201)
async def add_product(
    session_id: str, body: AddProduct, user: CurrentUser, services: ServicesDep
) -> Ok[LiveProduct]:
    flash = body.flashSale.model_dump() if body.flashSale else None
    return ok(
        services.shopping.sessions.add_product(
            session_id, user.id, body.productId, body.livePrice, flash
        )
    )


@router.post("/{session_id}/products/pin")
async def pin(
    session_id: str, body: Pin, user: CurrentUser, services: ServicesDep
) -> Ok[PinResult]:
    return ok(services.shopping.sessions.pin(session_id, user.id, body.productId))


@router.post("/{session_id}/products/{product_id}/flash-sale")
async def start_flash_sale(
    session_id: str, product_id: str, body: FlashSale, user: CurrentUser, services: ServicesDep
) -> Ok[LiveProduct]:
    """A flash sale on a product already in the session (adding a product can start one too)."""
    flash = body.model_dump()
    return ok(services.shopping.flash_sales.start(session_id, user.id, product_id, flash))


@router.post("/{session_id}/interactions")
async def interaction(
    session_id: str, body: Track, viewer: AnyViewer, services: ServicesDep
) -> Ok[Interaction]:
    return ok(services.shopping.sessions.track(session_id, viewer.id, body.productId, body.type))


@router.post("/{session_id}/checkout")
async def checkout(
    session_id: str, body: CheckOut, user: CurrentUser, services: ServicesDep
) -> Ok[Checkout]:
    """The server's price of an order about to be confirmed; with a voucher, one use is held
    for this buyer for a short while (a buyer who cannot pay holds nothing)."""
    return ok(services.shopping.orders.checkout(session_id, user.id, body.basket()))


@router.post("/{session_id}/orders", status_code=201)
async def place_order(
    session_id: str,
    body: PlaceOrder,
    user: CurrentUser,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> Ok[PlacedOrder]:
    def order() -> PlacedOrder:
        placed = services.shopping.orders.place(session_id, user.id, body.basket())
        balance = Balance.model_validate(services.wallet.balance(user.id))
        return PlacedOrder(**dict(placed), balance=balance)

    scope = f"shop-order:{session_id}"
    try:
        return await answer_once(
            services, user.id, scope, idempotency_key, order, PlacedOrder, body
        )
    except DomainError:
        if body.voucherCode:  # the order rolled back: the voucher use held at checkout goes back
            services.shopping.vouchers.release_holds(user.id, session_id)
        raise


@router.get("/{session_id}/orders")
async def orders(session_id: str, user: CurrentUser, services: ServicesDep) -> Ok[list[Order]]:
    return ok(services.shopping.orders.visible_to(session_id, user.id))


@router.get("/{session_id}/orders/{order_id}")
async def order(
    session_id: str, order_id: str, user: CurrentUser, services: ServicesDep
) -> Ok[Order]:
    return ok(services.shopping.orders.get(session_id, user.id, order_id))


@router.put("/{session_id}/orders/{order_id}")
async def order_status(
    session_id: str, order_id: str, body: OrderStatus, user: CurrentUser, services: ServicesDep
) -> Ok[Order]:
    return ok(services.shopping.orders.update(session_id, user.id, order_id, body.status))


@router.post("/{session_id}/vouchers", status_code=201)
async def create_voucher(
    session_id: str, body: CreateVoucher, user: CurrentUser, services: ServicesDep
) -> Ok[Voucher]:
    spec = body.model_dump(exclude_none=True)
    return ok(services.shopping.vouchers.create(session_id, user.id, spec))


@router.post("/{session_id}/vouchers/use")
async def use_voucher(
    session_id: str, body: UseVoucher, user: CurrentUser, services: ServicesDep
) -> Ok[VoucherCheck]:
    """Whether the buyer may use the voucher and what it takes off; nothing is held here (a
    use is held at checkout)."""
    return ok(
        services.shopping.vouchers.check(
            session_id, user.id, body.code, body.productId, body.quantity
        )
    )


@router.get("/{session_id}/analytics")
async def analytics(session_id: str, user: CurrentUser, services: ServicesDep) -> Ok[ShopAnalytics]:
    return ok(services.shopping.analytics.analytics(session_id, user.id))
