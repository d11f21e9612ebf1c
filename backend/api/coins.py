"""/api/coins: the coin shop's packages, a checkout with the payment provider, purchases, the
providers' webhooks; and the sandbox provider's hosted checkout page (``/coins/sandbox/...``).
"""

from __future__ import annotations

import html
import logging
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, ServicesDep
from backend.api.models import Body
from backend.api.responses import ok
from backend.errors import InvalidInput
from backend.services.coins.purchases import back_to
from backend.settings import Settings
from backend.storage.db import Row
from wire.base import Ok
from wire.coins import CheckoutStarted, CoinPackage, CoinShop, Purchase, WebhookAck
from wire.http import tls_context

router = APIRouter(tags=["coins"])
log = logging.getLogger(__name__)
SANDBOX_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
    " base-uri 'none'; frame-ancestors 'none'"
)


class StartCheckout(Body):
    packageId: str = Field(min_length=1, max_length=40)
    returnTo: str = Field(default="/", min_length=1, max_length=500)  # a path on this site


@router.get("/api/coins/packages")
async def packages(viewer: AnyViewer, services: ServicesDep) -> Ok[CoinShop]:
    return ok(services.coins.shop())


@router.post("/api/coins/checkout", status_code=201)
async def checkout(
    body: StartCheckout, request: Request, user: CurrentUser, services: ServicesDep
) -> Ok[CheckoutStarted]:
    """Open a checkout; the coins are credited when the provider's webhook confirms it."""
    started = await services.coins.checkout(
        user.id, body.packageId, site_of(request), body.returnTo
    )
    return ok(started)


@router.get("/api/coins/purchases/{purchase_id}")
async def purchase(purchase_id: str, user: CurrentUser, services: ServicesDep) -> Ok[Purchase]:
    return ok(services.coins.get(purchase_id, user.id))


@router.post("/api/coins/webhook/{provider}")
async def webhook(provider: str, request: Request, services: ServicesDep) -> Ok[WebhookAck]:
    """The payment provider's events (no account: the signature proves who sent it)."""
    return ok(services.coins.receive(provider, await request.body(), request.headers))


def site_of(request: Request) -> str:
    """This backend's address as people reach it (``public_url`` when set)."""
    settings: Settings = request.app.state.settings
    return (settings.public_url or str(request.base_url)).rstrip("/")


# ---- the sandbox provider's hosted checkout ------------------------------------------------


@router.get("/coins/sandbox/{checkout_id}", include_in_schema=False)
async def sandbox_page(checkout_id: str, services: ServicesDep) -> HTMLResponse:
    services.coins.sandbox()
    purchase = services.coins.by_checkout(checkout_id)
    return HTMLResponse(
        sandbox_html(purchase, services.coins.shop().packages),
        headers={"Content-Security-Policy": SANDBOX_CSP, "Cache-Control": "no-store"},
    )


@router.post("/coins/sandbox/{checkout_id}", include_in_schema=False)
async def sandbox_decide(
    checkout_id: str, request: Request, services: ServicesDep
) -> RedirectResponse:
    """The buyer paid or cancelled (the page's form: ``decision=pay|cancel``): the sandbox
    tells our webhook (signed, over HTTP, as a hosted provider would), then sends the buyer
    back to where the checkout began."""
    sandbox = services.coins.sandbox()
    purchase = services.coins.by_checkout(checkout_id)
    decision = parse_qs((await request.body()).decode("utf-8", "replace")).get("decision")
    if decision not in (["pay"], ["cancel"]):
        raise InvalidInput("Choose pay or cancel.", code="invalid_decision")
    paid = decision == ["pay"]
    if purchase["status"] == "pending":
        kind = "checkout.completed" if paid else "checkout.cancelled"
        body, signature = sandbox.outcome(purchase, kind)
        await deliver(request, body, {sandbox.signature_header: signature})
    outcome = purchase["id"] if paid else "cancelled"
    return RedirectResponse(back_to(purchase["returnTo"], outcome), status_code=303)


async def deliver(request: Request, body: bytes, headers: dict[str, str]) -> None:
    """POST the event to this server's webhook route, on the address it listens on (or, on a
    Unix socket, the address the buyer used)."""
    server = request.scope.get("server")
    if server is None or server[1] is None:
        origin = site_of(request)
    else:
        host, port = server
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        origin = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    url = f"{origin}/api/coins/webhook/sandbox"
    try:
        async with httpx.AsyncClient(timeout=10, verify=tls_context()) as client:
            response = await client.post(
                url, content=body, headers={**headers, "Content-Type": "application/json"}
            )
        response.raise_for_status()
    except httpx.HTTPError:  # the purchase stays pending; the buyer's page says so
        log.exception("the sandbox could not deliver its webhook to %s", url)


def sandbox_html(purchase: Row, packages: list[CoinPackage]) -> str:
    coins = f"{purchase['coins']:,}"
    price = next(
        (p.price for p in packages if p.id == purchase["packageId"]),
        f"{purchase['amount'] / 100:.2f} {purchase['currency'].upper()}",
    )
    pending = purchase["status"] == "pending"
    state = {
        "paid": "This checkout is paid.",
        "refunded": "This checkout was refunded.",
        "cancelled": "This checkout was cancelled.",
    }.get(purchase["status"], "")
    back = html.escape(back_to(purchase["returnTo"], purchase["id"]), quote=True)
    actions = (
        '<form method="post"><button class="pay" name="decision" value="pay">'
        f"Pay {html.escape(price)}</button>"
        '<button class="cancel" name="decision" value="cancel">Cancel</button></form>'
        if pending
        else f'<p class="state">{html.escape(state)}</p><a href="{back}">Back to the live</a>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox checkout · OnAir</title>
<link rel="stylesheet" href="/web/css/sandbox.css"></head>
<body><main class="checkout" aria-labelledby="title">
<p class="kicker">Sandbox checkout · no real money</p>
<h1 id="title">{html.escape(coins)} coins</h1>
<p class="price">{html.escape(price)}</p>
<p class="note">This test checkout stands in for a payment provider. Paying here sends a
signed webhook to the server, which credits the coins once.</p>
{actions}
</main></body></html>"""
