"""Unlocking a premium filter: its price paid once through the wallet (ledger kind
``filter:unlock``), and the filters a user has unlocked."""

from __future__ import annotations

from backend.errors import Conflict
from backend.services.stream_filters.presenters import FilterPresenter
from backend.services.stream_filters.store import FilterStore
from backend.services.wallet import WalletService
from wire.stream_filters import Unlocked, UnlockedFilter
from wire.wallet import Balance

LEDGER_KIND = "filter:unlock"


class Unlocks:
    def __init__(self, store: FilterStore, present: FilterPresenter, wallet: WalletService) -> None:
        self.store = store
        self.db = store.db
        self.present = present
        self.wallet = wallet

    def unlock(self, user_id: str, filter_id: str) -> Unlocked:
        """Pay a premium filter's price once: the payment and the unlock commit together."""
        with self.db.transaction():
            row = self.store.available(filter_id)
            if not row["premium"]:
                raise Conflict(f"'{row['name']}' is free: just use it.", code="filter_free")
            if self.store.has_unlocked(user_id, filter_id):
                raise Conflict(f"You already unlocked '{row['name']}'.", code="already_unlocked")
            balance = self.wallet.move(user_id, -row["price"], LEDGER_KIND, filter_id)
            self.db.insert(
                "filter_unlocks", {"filterId": filter_id, "userId": user_id, "coins": row["price"]}
            )
            return Unlocked(
                filter=self.present.one(row, user_id),
                coins=row["price"],
                balance=Balance.model_validate(balance),
            )

    def unlocked(self, user_id: str) -> list[UnlockedFilter]:
        """The offered filters ``user_id`` unlocked, the latest first, with what they paid."""
        rows = self.store.kept(
            user_id, "filter_unlocks", "x.createdAt AS unlockedAt, x.coins AS paid"
        )
        return self.present.listing(rows, user_id, UnlockedFilter)
