"""Coin purchases: a checkout opened with the provider, coins credited once by a verified
webhook, taken back through the ledger by a refund.

Every webhook event is recorded once by its id (``payment_events``), so a delivery repeated
changes nothing. The purchase's status decides the rest, whatever order the events come in:

- paid: a pending (or cancelled, the payment came late) purchase is credited (ledger kind
  ``coins:purchase``); a paid or refunded one is left alone;
- refunded: a paid purchase gives back its coins in proportion to what was refunded so far
  (``coins:refund``), never below a zero balance: what is missing is recorded as an account
  flag (``refund-shortfall``) for a person to look at; a purchase not paid yet is marked
  refunded and will not be credited;
- a refund naming a payment we do not know yet (delivered before its payment's event) waits
  in ``payment_events`` and is applied when that payment is.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from backend.errors import Forbidden, InvalidInput, NotFound
from backend.services.coins.providers import (
    Checkout,
    CheckoutProvider,
    CheckoutRequest,
    PaymentNotice,
)
from backend.services.coins.sandbox import SandboxCheckout
from backend.services.wallet import WalletService
from backend.settings import CoinPackageSpec
from backend.storage.db import Database, Row, new_id, now_iso
from wire.coins import CheckoutStarted, CoinPackage, CoinShop, Purchase, WebhookAck

CURRENCY_SIGNS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def price_text(package: CoinPackageSpec, zero_decimal: bool) -> str:
    """``$4.99``, ``€4.99``, ``¥500`` or ``4.99 CHF``."""
    number = f"{package.amount}" if zero_decimal else f"{package.amount / 100:.2f}"
    sign = CURRENCY_SIGNS.get(package.currency)
    return f"{sign}{number}" if sign else f"{number} {package.currency.upper()}"


def back_to(return_to: str, outcome: str) -> str:
    """Where the buyer lands after the checkout: ``return_to`` with ``coins=<purchase id>``
    (paid, or on its way) or ``coins=cancelled``."""
    parts = urlsplit(return_to)
    query = urlencode([*parse_qsl(parts.query), ("coins", outcome)])
    return urlunsplit(("", "", parts.path, query, ""))


class CoinPurchases:
    def __init__(
        self,
        db: Database,
        wallet: WalletService,
        provider: CheckoutProvider | None,
        packages: tuple[CoinPackageSpec, ...],
        zero_decimal: bool = False,
    ) -> None:
        self.db = db
        self.wallet = wallet
        self.provider = provider  # None: buying coins is off
        self.packages = {package.id: package for package in packages}
        self.zero_decimal = zero_decimal

    def shop(self) -> CoinShop:
        return CoinShop(
            provider=self.provider.name if self.provider else "off",
            sandbox=bool(self.provider and self.provider.sandbox),
            packages=[
                CoinPackage(
                    id=p.id,
                    coins=p.coins,
                    amount=p.amount,
                    currency=p.currency,
                    price=price_text(p, self.zero_decimal),
                )
                for p in self.packages.values()
            ],
        )

    def _provider(self) -> CheckoutProvider:
        if self.provider is None:
            raise Forbidden(
                "Buying coins is not set up on this server (its operator sets a payment"
                " provider: see the README's Coins section).",
                code="coins_disabled",
            )
        return self.provider

    async def checkout(
        self, user_id: str, package_id: str, site: str, return_to: str
    ) -> CheckoutStarted:
        """A pending purchase and the provider's checkout for it; the buyer comes back to
        ``return_to`` (a path on ``site``, this backend's address) when done."""
        provider = self._provider()
        if not return_to.startswith("/") or return_to.startswith("//"):
            raise InvalidInput(
                "returnTo must be a path on this site, like /watch/alice.", code="invalid_return"
            )
        package = self.packages.get(package_id)
        if package is None:
            known = ", ".join(self.packages)
            raise NotFound(
                f"There is no coin package '{package_id}'; the shop has: {known}.",
                code="package_not_found",
            )
        with self.db.transaction():
            purchase = self.db.insert(
                "coin_purchases",
                {
                    "userId": user_id,
                    "packageId": package.id,
                    "coins": package.coins,
                    "amount": package.amount,
                    "currency": package.currency,
                    "provider": provider.name,
                    "returnTo": return_to,
                },
            )
        request = CheckoutRequest(
            purchase_id=purchase["id"],
            name=f"{package.coins:,} coins",
            amount=package.amount,
            currency=package.currency,
            success_url=site + back_to(return_to, purchase["id"]),
            cancel_url=site + back_to(return_to, "cancelled"),
        )
        checkout: Checkout = await provider.create_checkout(request)
        with self.db.transaction():
            self.db.update("coin_purchases", purchase["id"], {"providerRef": checkout.provider_ref})
        return CheckoutStarted(
            purchase_id=purchase["id"], checkout_url=checkout.url, provider=provider.name
        )

    def get(self, purchase_id: str, user_id: str) -> Purchase:
        row = self.db.one(
            "SELECT * FROM coin_purchases WHERE id = ? AND userId = ?", (purchase_id, user_id)
        )
        if row is None:
            raise NotFound("You have no such purchase.", code="purchase_not_found")
        return Purchase.model_validate(row)

    def by_checkout(self, provider_ref: str) -> Row:
        """A purchase by its provider's checkout id (the sandbox's checkout page)."""
        provider = self._provider()
        row = self.db.one(
            "SELECT * FROM coin_purchases WHERE provider = ? AND providerRef = ?",
            (provider.name, provider_ref),
        )
        if row is None:
            raise NotFound("There is no such checkout.", code="checkout_not_found")
        return row

    def sandbox(self) -> SandboxCheckout:
        """The sandbox provider, when it is the one this server uses."""
        if not isinstance(self.provider, SandboxCheckout):
            raise NotFound("This server has no sandbox checkout.", code="checkout_not_found")
        return self.provider

    def receive(self, provider_name: str, body: bytes, headers: Mapping[str, str]) -> WebhookAck:
        """A webhook delivery: verified by the provider (its signature header), applied once."""
        provider = self._provider()
        if provider_name != provider.name:
            raise NotFound(
                f"This server takes payments through {provider.name}, not {provider_name}.",
                code="provider_not_found",
            )
        signature = headers.get(provider.signature_header)
        return self.apply(provider.name, provider.read_webhook(body, signature))

    def apply(self, provider: str, notice: PaymentNotice) -> WebhookAck:
        with self.db.transaction():
            if not self._first_delivery(provider, notice):
                return WebhookAck(event_id=notice.event_id, duplicate=True)
            purchase = self._purchase_of(provider, notice)
            if purchase is None or notice.kind == "ignored":
                return WebhookAck(event_id=notice.event_id, duplicate=False)
            self.db.execute(
                "UPDATE payment_events SET purchaseId = ? WHERE provider = ? AND eventId = ?",
                (purchase["id"], provider, notice.event_id),
            )
            if notice.kind == "paid":
                self._paid(purchase, notice)
            elif notice.kind == "refunded":
                self._refunded(purchase, notice.refunded_amount)
            elif purchase["status"] == "pending":
                self.db.update("coin_purchases", purchase["id"], {"status": "cancelled"})
        return WebhookAck(event_id=notice.event_id, duplicate=False)

    def _first_delivery(self, provider: str, notice: PaymentNotice) -> bool:
        stamp = now_iso()
        return bool(
            self.db.execute(
                "INSERT INTO payment_events"
                " (id, createdAt, updatedAt, provider, eventId, kind, paymentRef, refundedAmount)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, eventId) DO NOTHING",
                (
                    new_id(),
                    stamp,
                    stamp,
                    provider,
                    notice.event_id,
                    notice.kind,
                    notice.payment_ref,
                    notice.refunded_amount,
                ),
            )
        )

    def _purchase_of(self, provider: str, notice: PaymentNotice) -> Row | None:
        if notice.purchase_id is not None:
            row = self.db.one(
                "SELECT * FROM coin_purchases WHERE id = ? AND provider = ?",
                (notice.purchase_id, provider),
            )
            if row is None:
                raise InvalidInput(
                    f"The event names purchase {notice.purchase_id}, which is not ours.",
                    code="purchase_not_found",
                )
            return row
        if notice.payment_ref is None:
            return None
        return self.db.one(
            "SELECT * FROM coin_purchases WHERE provider = ? AND paymentRef = ?",
            (provider, notice.payment_ref),
        )

    def _paid(self, purchase: Row, notice: PaymentNotice) -> None:
        if purchase["status"] not in ("pending", "cancelled"):
            return  # credited already, or refunded before this event arrived
        payment_ref = notice.payment_ref or purchase["paymentRef"]
        self.wallet.move(purchase["userId"], purchase["coins"], "coins:purchase", purchase["id"])
        self.db.update(
            "coin_purchases",
            purchase["id"],
            {"status": "paid", "paidAt": now_iso(), "paymentRef": payment_ref},
        )
        if payment_ref is not None:
            self._early_refunds(purchase, payment_ref)

    def _early_refunds(self, purchase: Row, payment_ref: str) -> None:
        """Refunds of this payment that were delivered before it: applied now, at the most
        any of them said was refunded."""
        waiting = "provider = ? AND paymentRef = ? AND kind = 'refunded' AND purchaseId IS NULL"
        params = (purchase["provider"], payment_ref)
        refunded = self.db.scalar(
            f"SELECT MAX(refundedAmount) FROM payment_events WHERE {waiting}", params
        )
        if refunded is None:
            return
        self.db.execute(
            f"UPDATE payment_events SET purchaseId = ? WHERE {waiting}", (purchase["id"], *params)
        )
        self._refunded({**purchase, "status": "paid"}, int(refunded))

    def _refunded(self, purchase: Row, refunded_amount: int) -> None:
        if purchase["status"] in ("pending", "cancelled"):
            self.db.update(
                "coin_purchases", purchase["id"], {"status": "refunded", "refundedAt": now_iso()}
            )
            return
        if purchase["status"] != "paid":
            return
        refunded = min(refunded_amount or purchase["amount"], purchase["amount"])
        owed = purchase["coins"] * refunded // purchase["amount"] - purchase["coinsTakenBack"]
        if owed <= 0:
            return
        user_id = purchase["userId"]
        taken = min(owed, self.wallet.balance(user_id)["coins"])
        if taken:
            self.wallet.move(user_id, -taken, "coins:refund", purchase["id"])
        if taken < owed:
            self._flag_shortfall(user_id, purchase["id"], owed - taken)
        changes: Row = {"coinsTakenBack": purchase["coinsTakenBack"] + owed}
        if refunded >= purchase["amount"]:
            changes.update(status="refunded", refundedAt=now_iso())
        self.db.update("coin_purchases", purchase["id"], changes)

    def _flag_shortfall(self, user_id: str, purchase_id: str, coins: int) -> None:
        stamp = now_iso()
        self.db.execute(
            "INSERT INTO account_flags (id, createdAt, updatedAt, userId, reason, refId, coins,"
            " note) VALUES (?, ?, ?, ?, 'refund-shortfall', ?, ?, ?)"
            " ON CONFLICT (reason, refId) DO UPDATE SET coins = account_flags.coins"
            " + excluded.coins, updatedAt = excluded.updatedAt, resolvedAt = NULL",
            (
                new_id(),
                stamp,
                stamp,
                user_id,
                purchase_id,
                coins,
                "A refund found fewer coins than the purchase gave; the rest were spent.",
            ),
        )
