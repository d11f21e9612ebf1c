"""/api/live-shopping: the spec's thirteen endpoints plus the order list and order status,
thin over LiveShoppingService. Prices are whole coins (integers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, IdempotencyKey, ServicesDep
from backend.api.models import Body
from backend.api.responses import ok, respond_once

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


class Interaction(Body):
    productId: Id
    type: str = Field(max_length=16)


class PlaceOrder(Body):
    productId: Id
    quantity: int = 1
    voucherCode: str | None = Field(default=None, min_length=1, max_length=32)


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


class UseVoucher(Body):
    code: str = Field(min_length=1, max_length=32)
    productId: Id | None = None
    quantity: int = 1


@router.post("", status_code=201)
async def create(body: CreateSession, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.shopping.create(user.id, body.title, body.description))


@router.get("/active/list")
async def active(viewer: AnyViewer, services: ServicesDep) -> dict[str, Any]:
    return ok(services.shopping.active())


@router.get("/top/performers")
async def top_performers(
    viewer: AnyViewer, services: ServicesDep, limit: int = Query(10, ge=1, le=100)
) -> dict[str, Any]:
    return ok(services.shopping.top_performers(limit))


@router.get("/{session_id}")
async def detail(session_id: str, viewer: AnyViewer, services: ServicesDep) -> dict[str, Any]:
    return ok(services.shopping.get(session_id, viewer.id))


@router.post("/{session_id}/start")
async def start(session_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.shopping.start(session_id, user.id))


@router.post("/{session_id}/end")
async def end(session_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.shopping.end(session_id, user.id))


@router.post("/{session_id}/products", status_code=201)
async def add_product(
    session_id: str, body: AddProduct, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    flash = body.flashSale.model_dump() if body.flashSale else None
    return ok(
        services.shopping.add_product(session_id, user.id, body.productId, body.livePrice, flash)
    )


@router.post("/{session_id}/products/pin")
async def pin(
    session_id: str, body: Pin, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return ok(services.shopping.pin(session_id, user.id, body.productId))


@router.post("/{session_id}/products/{product_id}/flash-sale")
async def start_flash_sale(
    session_id: str, product_id: str, body: FlashSale, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """A flash sale on a product already in the session (adding a product can start one too)."""
    flash = body.model_dump()
    return ok(services.shopping.start_flash_sale(session_id, user.id, product_id, flash))


@router.post("/{session_id}/interactions")
async def interaction(
    session_id: str, body: Interaction, viewer: AnyViewer, services: ServicesDep
) -> dict[str, Any]:
    return ok(services.shopping.track(session_id, viewer.id, body.productId, body.type))


@router.post("/{session_id}/orders", status_code=201)
async def place_order(
    session_id: str,
    body: PlaceOrder,
    user: CurrentUser,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    def order() -> dict[str, Any]:
        placed = services.shopping.place_order(
            session_id, user.id, body.productId, body.quantity, body.voucherCode
        )
        return {**placed, "balance": services.wallet.balance(user.id)}

    return await respond_once(services, user.id, f"shop-order:{session_id}", idempotency_key, order)


@router.get("/{session_id}/orders")
async def orders(session_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.shopping.orders(session_id, user.id))


@router.get("/{session_id}/orders/{order_id}")
async def order(
    session_id: str, order_id: str, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return ok(services.shopping.order(session_id, user.id, order_id))


@router.put("/{session_id}/orders/{order_id}")
async def order_status(
    session_id: str, order_id: str, body: OrderStatus, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return ok(services.shopping.update_order(session_id, user.id, order_id, body.status))


@router.post("/{session_id}/vouchers", status_code=201)
async def create_voucher(
    session_id: str, body: CreateVoucher, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    spec = body.model_dump(exclude_none=True)
    return ok(services.shopping.create_voucher(session_id, user.id, spec))


@router.post("/{session_id}/vouchers/use")
async def use_voucher(
    session_id: str, body: UseVoucher, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return ok(
        services.shopping.reserve_voucher(
            session_id, user.id, body.code, body.productId, body.quantity
        )
    )


@router.get("/{session_id}/analytics")
async def analytics(session_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.shopping.analytics(session_id, user.id))
