"""Buying coins: packages, a checkout with a payment provider, webhooks that credit once.

``build_coins(settings)`` picks the provider the settings name (``sandbox``, ``stripe`` or
none) and builds :class:`CoinPurchases`, reached as ``services.coins``.
"""

from __future__ import annotations

from backend.services.coins.providers import CheckoutProvider
from backend.services.coins.purchases import CoinPurchases
from backend.services.coins.sandbox import SandboxCheckout, sandbox_secret
from backend.services.wallet import WalletService
from backend.settings import ZERO_DECIMAL_CURRENCIES, Settings
from backend.storage.db import Database

__all__ = ["CoinPurchases", "build_coins"]


def checkout_provider(settings: Settings) -> CheckoutProvider | None:
    if settings.coin_provider == "sandbox":
        return SandboxCheckout(sandbox_secret(settings.resolved_secret()))
    if settings.coin_provider == "stripe":
        # Imported only when used: the stripe library takes seconds to import, and every
        # backend process (each worker) would pay that at start.
        from backend.services.coins.stripe_checkout import StripeCheckout

        return StripeCheckout(
            settings.stripe_secret_key, settings.stripe_webhook_secret, settings.stripe_api_base
        )
    return None


def build_coins(settings: Settings, db: Database, wallet: WalletService) -> CoinPurchases:
    return CoinPurchases(
        db,
        wallet,
        checkout_provider(settings),
        settings.coin_package_list,
        settings.coin_currency in ZERO_DECIMAL_CURRENCIES,
    )
