"""Flash sales: a lower price for a few units until a deadline (one at a time per product).

The deadline is stored and run by the scheduler, so a restart loses none; an order that comes
in after the deadline but before the scheduler ran ends the sale itself (``settle``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.errors import Conflict
from backend.services.scheduler import Scheduler
from backend.services.shopping.presenters import ShopPart, ShopPresenter
from backend.services.shopping.rules import check_flash_terms
from backend.services.shopping.store import ShopStore
from backend.storage.db import Row, iso, parse_iso, utc_now
from wire.events import Shopping
from wire.shopping import FlashSaleEnded, FlashSaleStarted, LiveProduct

FLASH_DEADLINE = "shopping:flash-end"


class FlashSales(ShopPart):
    def __init__(self, store: ShopStore, present: ShopPresenter, scheduler: Scheduler) -> None:
        super().__init__(store, present)
        self.scheduler = scheduler
        scheduler.on(FLASH_DEADLINE, self.expire)

    def start(
        self, session_id: str, user_id: str, product_id: str, flash: dict[str, int]
    ) -> LiveProduct:
        """A flash sale on a product already in the session."""
        with self.db.transaction():
            session = self.store.owned(session_id, user_id)
            self.store.require_open(session)
            item = self.store.item(session_id, product_id)
            if item["flashStatus"] == "active":
                raise Conflict("This product's flash sale is still running.", code="flash_active")
            columns = self.columns(session, item["livePrice"], item["stock"], flash)
            self.db.update("shopping_products", item["id"], columns | {"flashEndReason": None})
            item = self.store.item(session_id, product_id)
            state = self.present.live_product(item, session)
            self.announce_start(item, state)
            return state

    def columns(
        self, session: Row, live_price: int, stock: int, flash: dict[str, int]
    ) -> dict[str, Any]:
        """The sale's columns of a session product, its terms checked."""
        if session["status"] != "live":
            raise Conflict("Start the session before running a flash sale.", code="not_live")
        check_flash_terms(flash, live_price, stock)
        ends = utc_now() + timedelta(milliseconds=flash["expiresIn"])
        return {
            "flashPrice": flash["price"],
            "flashQuantity": flash["quantity"],
            "flashRemaining": flash["quantity"],
            "flashEndsAt": iso(ends),
            "flashStatus": "active",
        }

    def announce_start(self, item: Row, state: LiveProduct) -> None:
        """Schedule the sale's end and tell the room (the sale's columns are written)."""
        self.scheduler.schedule(FLASH_DEADLINE, item["id"], parse_iso(item["flashEndsAt"]))
        assert state.flash_sale is not None
        started = FlashSaleStarted(
            session_id=item["sessionId"], product=state, countdown=state.flash_sale
        )
        self.store.announce(item["sessionId"], Shopping.FLASH_SALE, started)

    def expire(self, item_id: str) -> None:
        with self.db.transaction():
            item = self.store.item_by_id(item_id)
            if item is not None and item["flashStatus"] == "active":
                self.end(item, "expired")

    def end(self, item: Row, reason: str) -> None:
        self.db.update(
            "shopping_products", item["id"], {"flashStatus": "ended", "flashEndReason": reason}
        )
        self.scheduler.cancel(FLASH_DEADLINE, item["id"])
        session_id = item["sessionId"]
        ended = FlashSaleEnded(
            session_id=session_id,
            product_id=item["productId"],
            reason=reason,
            product=self.present.live_product(self.store.item(session_id, item["productId"])),
        )
        self.store.announce(session_id, Shopping.FLASH_SALE_ENDED, ended)

    def settle(self, item: Row) -> Row:
        """End a flash sale whose time is up even if its deadline has not run yet."""
        if item["flashStatus"] == "active" and parse_iso(item["flashEndsAt"]) <= utc_now():
            self.end(item, "expired")
            return self.store.item(item["sessionId"], item["productId"])
        return item
