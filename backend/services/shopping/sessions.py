"""Live-shopping sessions: open, start, end; the products on sale, the pin, interactions."""

from __future__ import annotations

from backend.errors import Conflict, InvalidInput
from backend.services.records import passes
from backend.services.shopping.flash_sales import FlashSales
from backend.services.shopping.presenters import ShopPart, ShopPresenter
from backend.services.shopping.rules import INTERACTIONS, check_price
from backend.services.shopping.store import ShopStore, own_product
from backend.storage.db import now_iso
from wire.events import Shopping
from wire.shopping import (
    Interaction,
    LiveProduct,
    PinResult,
    ProductAdded,
    ProductPinned,
    SessionChanged,
    ShopSession,
)


class ShopSessions(ShopPart):
    def __init__(self, store: ShopStore, present: ShopPresenter, flash: FlashSales) -> None:
        super().__init__(store, present)
        self.flash = flash

    def create(self, seller_id: str, title: str, description: str = "") -> ShopSession:
        if not title.strip():
            raise InvalidInput("Give the session a title.", code="invalid_title")
        row = self.db.insert(
            "shopping_sessions",
            {
                "sellerId": seller_id,
                "title": title.strip(),
                "description": description.strip(),
                "status": "scheduled",
            },
        )
        return self.present.session(self.store.session(row["id"]))

    def start(self, session_id: str, user_id: str) -> ShopSession:
        with self.db.transaction():
            session = self.store.owned(session_id, user_id)
            if session["status"] != "scheduled":
                raise Conflict(
                    f"This session is already {session['status']}.", code="not_scheduled"
                )
            self.db.update(
                "shopping_sessions", session_id, {"status": "live", "startedAt": now_iso()}
            )
            return self._changed(session_id, Shopping.STARTED)

    def end(self, session_id: str, user_id: str) -> ShopSession:
        with self.db.transaction():
            self.store.require_open(self.store.owned(session_id, user_id))
            for item in self.store.items(session_id):
                if item["flashStatus"] == "active":
                    self.flash.end(item, "session-ended")
            self.store.close_pin(session_id)
            self.db.update(
                "shopping_sessions",
                session_id,
                {"status": "ended", "endedAt": now_iso(), "pinnedProductId": None},
            )
            return self._changed(session_id, Shopping.ENDED)

    def _changed(self, session_id: str, event: str) -> ShopSession:
        result = self.present.session(self.store.session(session_id))
        self.store.announce(
            session_id, event, SessionChanged(session_id=session_id, session=result)
        )
        return result

    def add_product(
        self,
        session_id: str,
        user_id: str,
        product_id: str,
        live_price: int | None,
        flash: dict[str, int] | None,
    ) -> LiveProduct:
        with self.db.transaction():
            session = self.store.owned(session_id, user_id)
            self.store.require_open(session)
            product = own_product(self.db, user_id, product_id)
            if self.store.find_item(session_id, product_id) is not None:
                raise Conflict("This product is already in the session.", code="already_added")
            price = product["price"] if live_price is None else live_price
            check_price(price, "livePrice")
            columns = {"sessionId": session_id, "productId": product_id, "livePrice": price}
            if flash is not None:
                columns |= self.flash.columns(session, price, product["stock"], flash)
            self.db.insert("shopping_products", columns)
            item = self.store.item(session_id, product_id)
            state = self.present.live_product(item, session)
            added = ProductAdded(session_id=session_id, product=state)
            self.store.announce(session_id, Shopping.PRODUCT_ADDED, added)
            if flash is not None:
                self.flash.announce_start(item, state)
            return state

    def pin(self, session_id: str, user_id: str, product_id: str | None) -> PinResult:
        with self.db.transaction():
            session = self.store.owned(session_id, user_id)
            self.store.require_open(session)
            previous = session["pinnedProductId"]
            if product_id is not None:
                self.store.item(session_id, product_id)
            if product_id != previous:
                self.store.close_pin(session_id)
                if product_id is not None:
                    self.db.insert(
                        "shopping_pins",
                        {"sessionId": session_id, "productId": product_id, "pinnedAt": now_iso()},
                    )
                self.db.update("shopping_sessions", session_id, {"pinnedProductId": product_id})
            state = self._pinned(session_id, product_id)
            if product_id != previous:
                pinned = ProductPinned(
                    session_id=session_id, product=state, previous_product_id=previous
                )
                self.store.announce(session_id, Shopping.PRODUCT_PINNED, pinned)
            return PinResult(pinned_product=state, previous_product_id=previous)

    def _pinned(self, session_id: str, product_id: str | None) -> LiveProduct | None:
        if product_id is None:
            return None
        return self.present.live_product(self.store.item(session_id, product_id))

    def track(self, session_id: str, viewer_id: str, product_id: str, kind: str) -> Interaction:
        if kind not in INTERACTIONS:
            raise InvalidInput(
                f"type must be one of {', '.join(INTERACTIONS)}.", code="invalid_interaction"
            )
        with self.db.transaction():
            self.store.require_live(self.store.visible(session_id, viewer_id))
            self.store.item(session_id, product_id)
            stamp = now_iso()
            self.db.execute(
                "INSERT INTO shopping_interactions"
                " (id, createdAt, updatedAt, sessionId, productId, viewerId, type)"
                " VALUES (lower(hex(randomblob(16))), ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (sessionId, productId, viewerId, type) DO UPDATE SET"
                " count = count + 1, updatedAt = excluded.updatedAt",
                (stamp, stamp, session_id, product_id, viewer_id, kind),
            )
            return Interaction.model_validate(
                {"sessionId": session_id, "productId": product_id, "type": kind}
            )

    # ---- reads ----------------------------------------------------------------------
    def get(self, session_id: str, viewer_id: str) -> ShopSession:
        return self.present.session(self.store.visible(session_id, viewer_id))

    def can_watch(self, session_id: str, viewer_id: str) -> bool:
        return passes(lambda: self.store.visible(session_id, viewer_id))

    def active(self, limit: int = 50) -> list[ShopSession]:
        rows = self.db.all(
            "SELECT * FROM shopping_sessions WHERE status = 'live' ORDER BY startedAt DESC LIMIT ?",
            (limit,),
        )
        return [self.present.session(row) for row in rows]
