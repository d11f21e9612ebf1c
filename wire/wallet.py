"""Coins and XP: balances, the ledger, the gift catalog."""

from __future__ import annotations

from wire.base import Timestamp, WireModel


class Balance(WireModel):
    coins: int
    xp: int


class LedgerEntry(WireModel):
    """One movement of coins/XP; ``kind`` says why (``gift:sent``, ``topup``, ``pk:reward`` ...)."""

    id: str
    coins: int
    xp: int
    kind: str
    ref_id: str | None
    created_at: Timestamp


class WalletView(Balance):
    """``GET /api/wallet``: the balance and the latest movements, newest first."""

    history: list[LedgerEntry]


class Gift(WireModel):
    id: str
    name: str
    coins: int
    icon: str  # a path on the backend, e.g. /assets/gifts/rose.svg
