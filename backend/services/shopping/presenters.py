"""Rows → wire models: what a session, a product on sale, an order or a voucher looks like."""

from __future__ import annotations

from backend.services.records import user_cards
from backend.services.shopping.rules import flash_on
from backend.services.shopping.store import LIVE_USES, ShopStore
from backend.storage.db import Row, now_iso, parse_iso, utc_now
from wire.shopping import (
    FlashSale,
    LiveProduct,
    Order,
    Payment,
    Pin,
    PublicOrder,
    SessionStats,
    SessionSummary,
    ShopSession,
    Voucher,
)
from wire.users import UserCard


class ShopPresenter:
    def __init__(self, store: ShopStore) -> None:
        self.store = store
        self.db = store.db

    def user(self, user_id: str) -> UserCard | None:
        card = user_cards(self.db, [user_id]).get(user_id)
        return UserCard.model_validate(card) if card is not None else None

    def live_product(self, item: Row, session: Row | None = None) -> LiveProduct:
        session = session or self.store.session(item["sessionId"])
        on = flash_on(item)
        flash = self.flash_sale(item, on) if item["flashQuantity"] else None
        return LiveProduct.model_validate(
            {
                **item,
                "currentPrice": item["flashPrice"] if on else item["livePrice"],
                "soldOut": item["stock"] == 0,
                "pinned": session["pinnedProductId"] == item["productId"],
                "flashSale": flash,
                "addedAt": item["createdAt"],
            }
        )

    @staticmethod
    def flash_sale(item: Row, on: bool) -> FlashSale:
        ends = parse_iso(item["flashEndsAt"])
        return FlashSale(
            price=item["flashPrice"],
            quantity=item["flashQuantity"],
            remaining=item["flashRemaining"],
            ends_at=ends,
            remaining_ms=max(0, int((ends - utc_now()).total_seconds() * 1000)) if on else 0,
            status="active" if on else "ended",
            ended_reason=item["flashEndReason"],
        )

    def order(self, row: Row) -> Order:
        name = self.db.scalar("SELECT name FROM products WHERE id = ?", (row["productId"],))
        return Order.model_validate(
            {
                **row,
                "productName": name,
                "buyer": self.user(row["buyerId"]),
                "livePrice": row["unitPrice"],
                "payment": Payment(provider=row["paymentProvider"], reference=row["paymentRef"]),
            }
        )

    @staticmethod
    def public_order(order: Order) -> PublicOrder:
        """What the session's room may see of an order: no voucher code, no payment."""
        return PublicOrder(**{name: getattr(order, name) for name in PublicOrder.model_fields})

    def voucher(self, row: Row) -> Voucher:
        used = self.db.scalar(
            f"SELECT COUNT(*) FROM shopping_voucher_uses WHERE voucherId = :v AND {LIVE_USES}",
            {"v": row["id"], "now": now_iso()},
        )
        limit = row["usageLimit"]
        return Voucher(
            code=row["code"],
            type=row["type"],
            value=row["value"],
            min_order=row["minOrder"],
            usage_limit=limit,
            per_user_limit=row["perUserLimit"],
            used=used,
            remaining=None if limit is None else max(0, limit - used),
            expires_at=row["expiresAt"],
        )

    def summary(self, session: Row) -> SessionSummary:
        return SessionSummary.model_validate({**session, "seller": self.user(session["sellerId"])})

    def session(self, session: Row) -> ShopSession:
        products = [self.live_product(item, session) for item in self.store.items(session["id"])]
        vouchers = self.db.all(
            "SELECT * FROM shopping_vouchers WHERE sessionId = ? ORDER BY createdAt",
            (session["id"],),
        )
        pins = self.db.all(
            "SELECT productId, pinnedAt, unpinnedAt FROM shopping_pins WHERE sessionId = ?"
            " ORDER BY pinnedAt, rowid",
            (session["id"],),
        )
        return ShopSession(
            **dict(self.summary(session)),
            pinned_product=next((p for p in products if p.pinned), None),
            products=products,
            vouchers=[self.voucher(v) for v in vouchers],
            pin_history=[Pin.model_validate(pin) for pin in pins],
            stats=SessionStats.model_validate(self.store.sales(session["id"])),
            created_at=session["createdAt"],
            updated_at=session["updatedAt"],
            server_time=utc_now(),
        )


class ShopPart:
    """One part of live shopping: reads rows through the shared store, answers with models."""

    def __init__(self, store: ShopStore, present: ShopPresenter) -> None:
        self.store = store
        self.db = store.db
        self.present = present
