"""The payment-provider interface of the coin shop.

A provider runs a hosted checkout (the buyer pays on a page of the provider's and comes back)
and tells us the outcome by webhook. Coins are credited only from a webhook whose signature
the provider's ``read_webhook`` verified; the provider turns its own event into a
:class:`PaymentNotice`, so the purchase rules (credit once, refund through the ledger) are
written once for every provider.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Literal, Protocol

NoticeKind = Literal["paid", "refunded", "cancelled", "ignored"]
SIGNATURE_TOLERANCE_S = 300  # a signed event older than this is refused as stale


@dataclass(frozen=True)
class CheckoutRequest:
    """What a provider needs to open a checkout for one purchase."""

    purchase_id: str
    name: str  # what the buyer sees, e.g. "550 coins"
    amount: int  # in the currency's minor unit
    currency: str
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class Checkout:
    provider_ref: str  # the provider's id of this checkout
    url: str  # where the buyer pays


@dataclass(frozen=True)
class PaymentNotice:
    """A verified webhook event in our terms. ``purchase_id`` names the purchase when the
    event carries it; a refund may only name the payment (``payment_ref``).
    ``refunded_amount`` is the payment's total refunded so far (minor unit)."""

    event_id: str
    kind: NoticeKind
    purchase_id: str | None = None
    payment_ref: str | None = None
    refunded_amount: int = 0


class CheckoutProvider(Protocol):
    name: str
    sandbox: bool  # a test checkout: no real money moves
    signature_header: str  # the request header that carries a webhook's signature

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Open a hosted checkout (raises ``ProviderUnavailable`` when the provider fails)."""
        ...

    def read_webhook(self, body: bytes, signature: str | None) -> PaymentNotice:
        """The event ``body`` as a notice, if ``signature`` proves the provider sent it now;
        raises ``InvalidInput`` (code ``invalid_signature``) otherwise."""
        ...


def sign_payload(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """A webhook signature header as Stripe documents it: ``t=<unix time>,v1=<hex
    HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>``."""
    moment = int(time.time()) if timestamp is None else timestamp
    signed = f"{moment}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"
