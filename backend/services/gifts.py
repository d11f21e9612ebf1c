"""The gift catalog: what viewers can send and what each costs in coins."""

from __future__ import annotations

from typing import Any

from backend.errors import InvalidInput, NotFound
from backend.storage.db import Database, Row
from wire.wallet import Gift

DEFAULT_CATALOG: tuple[tuple[str, str, int], ...] = (
    ("rose", "Rose", 1),
    ("heart", "Heart", 5),
    ("star", "Star", 10),
    ("crown", "Crown", 99),
    ("rocket", "Rocket", 199),
    ("diamond", "Diamond", 499),
)
MAX_QUANTITY = 999


class GiftService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._by_id: dict[str, Row] = {}

    def ensure_catalog(self) -> None:
        with self.db.transaction():
            for order, (gift_id, name, coins) in enumerate(DEFAULT_CATALOG):
                if self.db.one("SELECT id FROM gifts WHERE id = ?", (gift_id,)) is None:
                    self.db.insert(
                        "gifts",
                        {
                            "id": gift_id,
                            "name": name,
                            "coins": coins,
                            "icon": f"/assets/gifts/{gift_id}.svg",
                            "sortOrder": order,
                        },
                    )

    def catalog(self) -> list[dict[str, Any]]:
        return self.db.all("SELECT id, name, coins, icon FROM gifts ORDER BY sortOrder, coins")

    def presented(self) -> list[Gift]:
        return [Gift.model_validate(row) for row in self.catalog()]

    def get(self, gift_id: str) -> Row:
        if not self._by_id:
            self._by_id = {row["id"]: row for row in self.catalog()}
        row = self._by_id.get(gift_id)
        if row is None:
            raise NotFound(f"There is no gift '{gift_id}'.", code="gift_not_found")
        return row

    def price(self, gift_id: str, quantity: int) -> tuple[Row, int]:
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidInput(f"Quantity must be 1–{MAX_QUANTITY}.", code="invalid_quantity")
        gift = self.get(gift_id)
        return gift, int(gift["coins"]) * quantity
