"""The rules of live shopping that need no database: limits, prices, voucher terms.

Pricing: units come from the flash sale while it runs and its quantity lasts (at the flash
price), the rest at the session's live price; a voucher then discounts the subtotal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from backend.errors import Conflict, InvalidInput
from backend.storage.db import Row, parse_iso, utc_now

MAX_PRICE = 1_000_000
MAX_STOCK = 1_000_000
MAX_ORDER_QUANTITY = 99
FLASH_MIN_MS, FLASH_MAX_MS = 1_000, 24 * 3600 * 1000
CHECKOUT_HOLD = timedelta(minutes=2)
"""How long a checkout holds a voucher use for its buyer (long enough to confirm a purchase,
too short to sit on a limited voucher)."""
VOUCHER_CODE = re.compile(r"^[A-Z0-9_-]{3,32}$")
VOUCHER_TYPES = ("percent", "fixed")
VOUCHER_LIMITS = {
    "minOrder": (0, MAX_PRICE * MAX_ORDER_QUANTITY),
    "usageLimit": (1, MAX_STOCK),
    "perUserLimit": (1, MAX_ORDER_QUANTITY),
}
INTERACTIONS = ("view", "click", "cart-add")
ORDER_MOVES = {("placed", "fulfilled"), ("placed", "cancelled")}


def check_price(value: int, field: str) -> None:
    if not 1 <= value <= MAX_PRICE:
        raise InvalidInput(f"{field} must be 1–{MAX_PRICE} coins.", code="invalid_price")


def check_product(name: str, price: int, stock: int) -> None:
    if not name.strip():
        raise InvalidInput("Give the product a name.", code="invalid_name")
    check_price(price, "price")
    if not 0 <= stock <= MAX_STOCK:
        raise InvalidInput(f"stock must be 0–{MAX_STOCK}.", code="invalid_stock")


def check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_ORDER_QUANTITY:
        raise InvalidInput(f"quantity must be 1–{MAX_ORDER_QUANTITY}.", code="invalid_quantity")


def check_stock(item: Row, quantity: int) -> None:
    if item["stock"] == 0:
        raise Conflict(f"{item['name']} is sold out.", code="out_of_stock")
    if item["stock"] < quantity:
        raise Conflict(
            f"Only {item['stock']} of {item['name']} left; order fewer.", code="out_of_stock"
        )


def flash_on(item: Row) -> bool:
    """The item's flash sale runs: started, units left, deadline not passed."""
    return bool(
        item["flashStatus"] == "active"
        and item["flashRemaining"] > 0
        and parse_iso(item["flashEndsAt"]) > utc_now()
    )


@dataclass(frozen=True)
class Price:
    """What ``quantity`` units of an item cost now, before any voucher."""

    flash_units: int
    subtotal: int


def price(item: Row, quantity: int) -> Price:
    check_quantity(quantity)
    flash_units = min(quantity, item["flashRemaining"]) if flash_on(item) else 0
    subtotal = (
        flash_units * (item["flashPrice"] or 0) + (quantity - flash_units) * item["livePrice"]
    )
    return Price(flash_units, subtotal)


def discount_for(voucher: Row, subtotal: int) -> int:
    if voucher["type"] == "percent":
        return int(subtotal * voucher["value"] // 100)
    return int(min(voucher["value"], subtotal))


def check_minimum(voucher: Row, subtotal: int) -> None:
    if subtotal < voucher["minOrder"]:
        raise InvalidInput(
            f"This voucher needs an order of at least {voucher['minOrder']} coins.",
            code="below_minimum",
        )


def check_voucher_terms(code: str, spec: dict[str, Any]) -> None:
    if not VOUCHER_CODE.match(code):
        raise InvalidInput(
            "code must be 3–32 letters, digits, '_' or '-'.", code="invalid_voucher_code"
        )
    if spec["type"] not in VOUCHER_TYPES:
        raise InvalidInput("type must be percent or fixed.", code="invalid_voucher_type")
    top = 100 if spec["type"] == "percent" else MAX_PRICE
    if not 1 <= spec["value"] <= top:
        raise InvalidInput(f"value must be 1–{top}.", code="invalid_voucher_value")
    for field, (low, high) in VOUCHER_LIMITS.items():
        value = spec.get(field)
        if value is not None and not low <= value <= high:
            raise InvalidInput(f"{field} must be {low}–{high}.", code="invalid_voucher_limits")
    expires_in = spec.get("expiresIn")
    if expires_in is not None and not FLASH_MIN_MS <= expires_in <= 30 * FLASH_MAX_MS:
        raise InvalidInput("expiresIn must be 1 s to 30 days, in ms.", code="invalid_expiry")


def check_flash_terms(flash: dict[str, int], live_price: int, stock: int) -> None:
    check_price(flash["price"], "flashSale.price")
    if flash["price"] >= live_price:
        raise InvalidInput(
            "The flash price must be below the live price.", code="invalid_flash_price"
        )
    if not 1 <= flash["quantity"] <= stock:
        raise InvalidInput(
            f"flashSale.quantity must be 1–{stock} (the stock).", code="invalid_flash_quantity"
        )
    if not FLASH_MIN_MS <= flash["expiresIn"] <= FLASH_MAX_MS:
        raise InvalidInput(
            f"flashSale.expiresIn must be {FLASH_MIN_MS}–{FLASH_MAX_MS} ms.",
            code="invalid_flash_duration",
        )


def ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0
