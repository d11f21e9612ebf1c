"""Paying for shop orders: a small provider interface and the built-in wallet provider.

An order's coins are taken from the buyer when it is placed, paid out to the seller when the
seller fulfils it and given back to the buyer when it is cancelled. A provider runs inside the
caller's transaction and raises a domain error (e.g. ``InsufficientFunds``) to refuse.
"""

from __future__ import annotations

from typing import Protocol

from backend.errors import InsufficientFunds
from backend.services.wallet import WalletService


class PaymentProvider(Protocol):
    name: str

    def check_funds(self, buyer_id: str, coins: int) -> None:
        """Refuse (``InsufficientFunds``) if the buyer could not pay ``coins`` now."""

    def charge(self, buyer_id: str, coins: int, order_id: str) -> str:
        """Take ``coins`` from the buyer for ``order_id``; returns the payment reference."""

    def refund(self, buyer_id: str, coins: int, order_id: str) -> None:
        """Give a charged order's coins back to the buyer."""

    def payout(self, seller_id: str, coins: int, order_id: str) -> None:
        """Pay a fulfilled order's coins to the seller."""


class WalletPayments:
    """Pays from the buyer's coin wallet; every step is a ledger row referencing the order."""

    name = "wallet"

    def __init__(self, wallet: WalletService) -> None:
        self.wallet = wallet

    def check_funds(self, buyer_id: str, coins: int) -> None:
        have = self.wallet.balance(buyer_id)["coins"]
        if have < coins:
            raise InsufficientFunds(f"Not enough coins: this needs {coins}, you have {have}.")

    def charge(self, buyer_id: str, coins: int, order_id: str) -> str:
        self._move(buyer_id, -coins, "shop:payment", order_id)
        return f"wallet:{order_id}"

    def refund(self, buyer_id: str, coins: int, order_id: str) -> None:
        self._move(buyer_id, coins, "shop:refund", order_id)

    def payout(self, seller_id: str, coins: int, order_id: str) -> None:
        self._move(seller_id, coins, "shop:payout", order_id)

    def _move(self, user_id: str, coins: int, kind: str, order_id: str) -> None:
        if coins:
            self.wallet.move(user_id, coins, kind, order_id)
