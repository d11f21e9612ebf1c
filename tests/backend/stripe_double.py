"""A stand-in for Stripe's API at the true edge (no network here): a real HTTP server on
loopback that answers ``POST /v1/checkout/sessions`` as Stripe does and keeps what it was sent;
and webhook events signed the way Stripe documents it (``t=…,v1=…`` HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_test_" + "s" * 32


def stripe_signature(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Stripe-Signature as documented: HMAC-SHA256 of ``"{t}.{body}"``, hex, as ``v1``."""
    moment = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def stripe_event(event_id: str, kind: str, thing: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": thing},
        }
    ).encode()


def completed_session(purchase_id: str, payment_intent: str, paid: bool = True) -> dict[str, Any]:
    return {
        "id": f"cs_test_{purchase_id}",
        "object": "checkout.session",
        "client_reference_id": purchase_id,
        "payment_intent": payment_intent,
        "payment_status": "paid" if paid else "unpaid",
        "metadata": {"purchase_id": purchase_id},
    }


def refunded_charge(payment_intent: str, amount: int, refunded: int) -> dict[str, Any]:
    return {
        "id": f"ch_{payment_intent}",
        "object": "charge",
        "payment_intent": payment_intent,
        "amount": amount,
        "amount_refunded": refunded,
        "metadata": {},
    }


class StripeApi:
    def __init__(self) -> None:
        self.sessions: list[dict[str, str]] = []  # the form fields of each create call
        self.headers: list[dict[str, str]] = []
        self.url = ""


@contextmanager
def stripe_api() -> Iterator[StripeApi]:
    api = StripeApi()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            fields = dict(parse_qsl(self.rfile.read(length).decode()))
            if self.path != "/v1/checkout/sessions":
                self._answer(404, {"error": {"type": "invalid_request_error", "message": "?"}})
                return
            api.sessions.append(fields)
            api.headers.append(dict(self.headers))
            number = len(api.sessions)
            self._answer(
                200,
                {
                    "id": f"cs_test_{number}",
                    "object": "checkout.session",
                    "url": f"https://checkout.stripe.com/c/pay/cs_test_{number}",
                    "client_reference_id": fields.get("client_reference_id"),
                },
            )

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
