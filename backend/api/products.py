"""/api/products: a seller's own catalog (what they can add to a live-shopping session)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.models import Body
from backend.api.responses import ok
from wire.base import Ok
from wire.shopping import Product

router = APIRouter(prefix="/api/products", tags=["products"])
Name = Annotated[str, Field(min_length=1, max_length=120)]
Description = Annotated[str, Field(max_length=2000)]
ImageUrl = Annotated[str, Field(max_length=500, pattern=r"^(https?://\S+|/\S*)?$")]
Coins = Annotated[int, Field(strict=True)]


class NewProduct(Body):
    name: Name
    price: Coins
    stock: int
    description: Description = ""
    imageUrl: ImageUrl = ""


class ProductChanges(Body):
    name: Name | None = None
    price: Coins | None = None
    stock: int | None = None
    description: Description | None = None
    imageUrl: ImageUrl | None = None


@router.post("", status_code=201)
async def create(body: NewProduct, user: CurrentUser, services: ServicesDep) -> Ok[Product]:
    return ok(
        services.products.create(
            user.id, body.name, body.price, body.stock, body.description, body.imageUrl
        )
    )


@router.get("")
async def mine(user: CurrentUser, services: ServicesDep) -> Ok[list[Product]]:
    return ok(services.products.mine(user.id))


@router.get("/{product_id}")
async def detail(product_id: str, user: CurrentUser, services: ServicesDep) -> Ok[Product]:
    return ok(services.products.get(user.id, product_id))


@router.put("/{product_id}")
async def update(
    product_id: str, body: ProductChanges, user: CurrentUser, services: ServicesDep
) -> Ok[Product]:
    return ok(services.products.update(user.id, product_id, body.model_dump(exclude_none=True)))
