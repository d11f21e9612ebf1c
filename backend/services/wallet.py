"""Coins and XP as a ledger: every movement is a row, a balance is a sum, never below zero."""

from __future__ import annotations

from typing import Any

from backend.errors import InsufficientFunds, InvalidInput
from backend.storage.db import Database
from wire.wallet import Balance, LedgerEntry, WalletView

Movement = tuple[str, int, int, str, str | None]  # (userId, coins, xp, kind, refId)


class WalletService:
    MAX_TOPUP = 100_000

    def __init__(self, db: Database) -> None:
        self.db = db

    def balance(self, user_id: str) -> dict[str, int]:
        row = self.db.one("SELECT coins, xp FROM wallets WHERE userId = ?", (user_id,))
        return {"coins": row["coins"], "xp": row["xp"]} if row else {"coins": 0, "xp": 0}

    def view(self, user_id: str) -> WalletView:
        history = [LedgerEntry.model_validate(row) for row in self.history(user_id)]
        return WalletView(**self.balance(user_id), history=history)

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
            after = self._change(user_id, coins, xp)
            self._record((user_id, coins, xp, kind, ref_id))
            return after

    def transfer(
        self, from_user: str, to_user: str, coins: int, kind: str, ref_id: str
    ) -> dict[str, int]:
        """Move ``coins`` between two users (ledger kinds ``{kind}:sent``/``{kind}:received``),
        inside the caller's transaction; the sender's balance after it. Both ledger rows go in
        one statement, and so do both wallets' guarded updates (a gift storm's hot path)."""
        with self.db.transaction():
            changes = {from_user: -coins, to_user: coins}
            after = self._add_both(from_user, -coins, to_user, coins)
            for user in sorted(changes.keys() - after.keys()):  # no wallet yet, or too few coins
                after[user] = self._change(user, changes[user], 0)
            balance = after[from_user]
            self._record(
                (from_user, -coins, 0, f"{kind}:sent", ref_id),
                (to_user, coins, 0, f"{kind}:received", ref_id),
            )
            return balance

    def _change(self, user_id: str, coins: int, xp: int) -> dict[str, int]:
        """The wallet's balance after adding ``coins`` and ``xp``; refuses to go below zero."""
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
        return after

    def _add(self, user_id: str, coins: int, xp: int) -> dict[str, int] | None:
        """The new balance, or None (nothing changed) if there is no wallet or too few coins."""
        return self.db.one(
            "UPDATE wallets SET coins = coins + :coins, xp = xp + :xp"
            " WHERE userId = :user AND coins + :coins >= 0 RETURNING coins, xp",
            {"coins": coins, "xp": xp, "user": user_id},
        )

    def _add_both(self, a: str, a_coins: int, b: str, b_coins: int) -> dict[str, dict[str, int]]:
        """``_add`` for two wallets in one statement (the database locks both rows in the order
        it visits them, the same for every transfer): the new balances of those that changed."""
        rows = self.db.all(
            "UPDATE wallets SET coins = coins + CASE userId WHEN :a THEN :ac ELSE :bc END"
            " WHERE userId IN (:a, :b) AND coins + CASE userId WHEN :a THEN :ac ELSE :bc END >= 0"
            " RETURNING userId, coins, xp",
            {"a": a, "ac": a_coins, "b": b, "bc": b_coins},
        )
        return {row.pop("userId"): row for row in rows}

    def _record(self, *movements: Movement) -> None:
        """Ledger rows for ``movements`` (user, coins, xp, kind, refId), in one statement."""
        self.db.insert_many(
            "ledger",
            [
                {"userId": user, "coins": coins, "xp": xp, "kind": kind, "refId": ref_id}
                for user, coins, xp, kind, ref_id in movements
            ],
        )

    def topup(self, user_id: str, coins: int) -> Balance:
        if not 1 <= coins <= self.MAX_TOPUP:
            raise InvalidInput(f"Top-up must be 1–{self.MAX_TOPUP} coins.")
        return Balance.model_validate(self.move(user_id, coins, "topup"))

    def history(self, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
        return self.db.all(
            "SELECT id, coins, xp, kind, refId, createdAt FROM ledger WHERE userId = ? "
            "ORDER BY createdAt DESC, rowid DESC LIMIT ?",
            (user_id, limit),
        )
