"""Coins and XP as a ledger: every movement is a row, a balance is a sum, never below zero."""

from __future__ import annotations

from typing import Any

from backend.errors import InsufficientFunds, InvalidInput
from backend.storage.db import Database


class WalletService:
    MAX_TOPUP = 100_000

    def __init__(self, db: Database) -> None:
        self.db = db

    def balance(self, user_id: str) -> dict[str, int]:
        row = self.db.one("SELECT coins, xp FROM wallets WHERE userId = ?", (user_id,))
        return {"coins": row["coins"], "xp": row["xp"]} if row else {"coins": 0, "xp": 0}

    def ledger_balance(self, user_id: str) -> dict[str, int]:
        """The balance recomputed from the ledger: always equal to ``balance``."""
        row = self.db.one(
            "SELECT COALESCE(SUM(coins), 0) AS coins, COALESCE(SUM(xp), 0) AS xp "
            "FROM ledger WHERE userId = ?",
            (user_id,),
        )
        assert row is not None
        return {"coins": int(row["coins"]), "xp": int(row["xp"])}

    def move(
        self, user_id: str, coins: int, kind: str, ref_id: str | None = None, xp: int = 0
    ) -> dict[str, int]:
        """Record one movement inside the caller's transaction; refuse to go below zero."""
        with self.db.transaction():
            after = self._add(user_id, coins, xp)
            if after is None:  # no wallet yet, or not enough coins
                current = self.balance(user_id)
                if current["coins"] + coins < 0:
                    raise InsufficientFunds(
                        f"Not enough coins: this needs {-coins}, you have {current['coins']}."
                    )
                self.db.execute("INSERT OR IGNORE INTO wallets (userId) VALUES (?)", (user_id,))
                after = self._add(user_id, coins, xp)
                assert after is not None
            self.db.insert(
                "ledger",
                {"userId": user_id, "coins": coins, "xp": xp, "kind": kind, "refId": ref_id},
            )
            return after

    def _add(self, user_id: str, coins: int, xp: int) -> dict[str, int] | None:
        """The new balance, or None (nothing changed) if there is no wallet or too few coins."""
        return self.db.one(
            "UPDATE wallets SET coins = coins + :coins, xp = xp + :xp"
            " WHERE userId = :user AND coins + :coins >= 0 RETURNING coins, xp",
            {"coins": coins, "xp": xp, "user": user_id},
        )

    def transfer(self, from_user: str, to_user: str, coins: int, kind: str, ref_id: str) -> None:
        with self.db.transaction():
            self.move(from_user, -coins, f"{kind}:sent", ref_id)
            self.move(to_user, coins, f"{kind}:received", ref_id)

    def topup(self, user_id: str, coins: int) -> dict[str, int]:
        if not 1 <= coins <= self.MAX_TOPUP:
            raise InvalidInput(f"Top-up must be 1–{self.MAX_TOPUP} coins.")
        return self.move(user_id, coins, "topup")

    def history(self, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return self.db.all(
            "SELECT id, coins, xp, kind, refId, createdAt FROM ledger WHERE userId = ? "
            "ORDER BY createdAt DESC, rowid DESC LIMIT ?",
            (user_id, limit),
        )
