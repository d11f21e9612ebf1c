"""The Stripe Checkout provider, with the official ``stripe`` library.

A checkout is a Stripe Checkout Session in ``payment`` mode for one package (price data
inline, so no products need creating in the Stripe dashboard); the purchase's id travels as
``client_reference_id`` and in the metadata of the session and of its PaymentIntent. Webhooks
are checked with ``stripe.Webhook.construct_event`` (signature and a 5-minute tolerance against
replays) and read:

- ``checkout.session.completed`` with ``payment_status`` ``paid``, and
  ``checkout.session.async_payment_succeeded``: paid;
- ``checkout.session.expired`` and ``checkout.session.async_payment_failed``: cancelled;
- ``charge.refunded``: refunded (``amount_refunded`` so far, the payment by its PaymentIntent).
"""

from __future__ import annotations

import asyncio
from typing import Any

import stripe

from backend.errors import InvalidInput, ProviderUnavailable
from backend.services.coins.providers import (
    SIGNATURE_TOLERANCE_S,
    Checkout,
    CheckoutRequest,
    NoticeKind,
    PaymentNotice,
)

SESSION_KINDS: dict[str, NoticeKind] = {
    "checkout.session.async_payment_succeeded": "paid",
    "checkout.session.expired": "cancelled",
    "checkout.session.async_payment_failed": "cancelled",
}


class StripeCheckout:
    name = "stripe"
    sandbox = False
    signature_header = "Stripe-Signature"

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str = "") -> None:
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else {},
            max_network_retries=2,
        )

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        metadata = {"purchase_id": request.purchase_id}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency,
                        "unit_amount": request.amount,
                        "product_data": {"name": request.name},
                    },
                }
            ],
            "client_reference_id": request.purchase_id,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        try:  # the library's HTTP client blocks: off the event loop
            session = await asyncio.to_thread(
                self.client.v1.checkout.sessions.create,
                params,  # type: ignore[arg-type]  # the stubs want their TypedDict
                {"idempotency_key": f"checkout-{request.purchase_id}"},
            )
        except stripe.StripeError as exc:
            raise ProviderUnavailable(
                f"Stripe did not open a checkout ({exc.user_message or type(exc).__name__});"
                " try again in a moment."
            ) from None
        if not session.url:
            raise ProviderUnavailable("Stripe opened a checkout without a page to pay on.")
        return Checkout(provider_ref=session.id, url=session.url)

    def read_webhook(self, body: bytes, signature: str | None) -> PaymentNotice:
        try:
            event = stripe.Webhook.construct_event(
                body, signature, self.webhook_secret, tolerance=SIGNATURE_TOLERANCE_S
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidInput(
                f"The Stripe-Signature does not check out: {exc.user_message or exc}",
                code="invalid_signature",
            ) from None
        except ValueError:
            raise InvalidInput("The webhook's body is not a Stripe event.") from None
        return notice_of(event)


def notice_of(event: stripe.Event) -> PaymentNotice:
    """A verified Stripe event in our terms (other event types are ``ignored``)."""
    thing: dict[str, Any] = event.data.object.to_dict()
    kind = event.type
    if kind == "charge.refunded":
        return PaymentNotice(
            event_id=event.id,
            kind="refunded",
            purchase_id=(thing.get("metadata") or {}).get("purchase_id"),
            payment_ref=thing.get("payment_intent"),
            refunded_amount=int(thing.get("amount_refunded") or 0),
        )
    if kind == "checkout.session.completed":
        paid = thing.get("payment_status") == "paid"  # else it completes later (async methods)
        return _session_notice(event.id, "paid" if paid else "ignored", thing)
    return _session_notice(event.id, SESSION_KINDS.get(kind, "ignored"), thing)


def _session_notice(event_id: str, kind: NoticeKind, session: dict[str, Any]) -> PaymentNotice:
    return PaymentNotice(
        event_id=event_id,
        kind=kind,
        purchase_id=session.get("client_reference_id"),
        payment_ref=session.get("payment_intent"),
    )
