"""The sandbox provider: a hosted checkout for self-hosters and tests, run by this backend.

It behaves as a real provider does: ``create_checkout`` returns the address of a checkout page
(``/coins/sandbox/{checkout}``, served by ``backend/api/coins.py``) where the buyer confirms or
cancels; the confirmation is then delivered to our webhook route as a signed event (the same
``t=…,v1=…`` HMAC-SHA256 scheme Stripe uses, with a secret derived from the backend's own),
over HTTP like any provider's. No real money moves: it is on only in demo/dev mode unless
the operator turns it on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from backend.errors import InvalidInput
from backend.services.coins.providers import (
    SIGNATURE_TOLERANCE_S,
    Checkout,
    CheckoutRequest,
    NoticeKind,
    PaymentNotice,
    sign_payload,
)

PAGE_PREFIX = "/coins/sandbox/"
KINDS: dict[str, NoticeKind] = {
    "checkout.completed": "paid",
    "checkout.cancelled": "cancelled",
    "charge.refunded": "refunded",
}


def sandbox_secret(backend_secret: str) -> str:
    """The sandbox's webhook secret: derived from the backend's secret, so nothing to set up."""
    return hmac.new(backend_secret.encode(), b"onair-coins-sandbox", hashlib.sha256).hexdigest()


class SandboxCheckout:
    name = "sandbox"
    sandbox = True
    signature_header = "OnAir-Sandbox-Signature"

    def __init__(self, secret: str) -> None:
        self.secret = secret

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        ref = f"sbx_{secrets.token_urlsafe(18)}"
        return Checkout(provider_ref=ref, url=f"{PAGE_PREFIX}{ref}")

    def event(self, kind: str, data: dict[str, Any]) -> tuple[bytes, str]:
        """A signed event the sandbox sends: (body, signature header)."""
        body = json.dumps(
            {
                "id": f"evt_sbx_{secrets.token_urlsafe(12)}",
                "type": kind,
                "created": int(time.time()),
                "data": data,
            }
        ).encode()
        return body, sign_payload(body, self.secret)

    def outcome(self, purchase: Mapping[str, Any], kind: str) -> tuple[bytes, str]:
        """The signed event the sandbox sends about a checkout of ``purchase``:
        ``checkout.completed``, ``checkout.cancelled`` or (the whole amount)
        ``charge.refunded``."""
        data = {
            "purchaseId": purchase["id"],
            "checkoutId": purchase["providerRef"],
            "paymentId": f"pay_{purchase['providerRef']}",
            "amount": purchase["amount"],
        }
        if kind == "charge.refunded":
            data["amountRefunded"] = purchase["amount"]
        return self.event(kind, data)

    def read_webhook(self, body: bytes, signature: str | None) -> PaymentNotice:
        import stripe  # here, not at start: the library takes seconds to import

        try:  # the official library's check of the documented scheme (also for our own)
            stripe.WebhookSignature.verify_header(
                body.decode("utf-8", "replace"), signature, self.secret, SIGNATURE_TOLERANCE_S
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidInput(
                f"The webhook's signature does not check out: {exc.user_message or exc}",
                code="invalid_signature",
            ) from None
        try:
            event = json.loads(body)
            data = event["data"]
            return PaymentNotice(
                event_id=str(event["id"]),
                kind=KINDS.get(str(event["type"]), "ignored"),
                purchase_id=data.get("purchaseId"),
                payment_ref=data.get("paymentId"),
                refunded_amount=int(data.get("amountRefunded", 0)),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InvalidInput("The webhook's event is not one the sandbox sends.") from None
