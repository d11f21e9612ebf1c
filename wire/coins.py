"""Buying coins: the packages on sale, a checkout with the payment provider, a purchase."""

from __future__ import annotations

from typing import Literal

from wire.base import Timestamp, WireModel

PurchaseStatus = Literal["pending", "paid", "refunded", "cancelled"]


class CoinPackage(WireModel):
    """A package of coins for a price: ``amount`` in the currency's minor unit (cents),
    ``price`` as people read it (``$4.99``)."""

    id: str
    coins: int
    amount: int
    currency: str
    price: str


class CoinShop(WireModel):
    """``GET /api/coins/packages``: what is on sale and through which provider (``sandbox``:
    a test checkout, no real money; ``stripe``; ``off``: buying coins is not set up)."""

    provider: str
    sandbox: bool
    packages: list[CoinPackage]


class CheckoutStarted(WireModel):
    """``POST /api/coins/checkout``: send the buyer to ``checkout_url`` (the provider's hosted
    checkout); the coins arrive when the provider confirms the payment."""

    purchase_id: str
    checkout_url: str
    provider: str


class Purchase(WireModel):
    """``GET /api/coins/purchases/{id}``: one purchase of the signed-in account."""

    id: str
    package_id: str
    coins: int
    amount: int
    currency: str
    provider: str
    status: PurchaseStatus
    coins_taken_back: int  # by refunds
    created_at: Timestamp
    paid_at: Timestamp | None
    refunded_at: Timestamp | None


class WebhookAck(WireModel):
    """The answer to a provider's webhook: ``duplicate`` when this event was seen before (it
    changed nothing the second time)."""

    event_id: str
    duplicate: bool
