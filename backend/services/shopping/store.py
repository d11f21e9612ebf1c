"""Reading live-shopping rows with the visibility and ownership rules every part shares."""

from __future__ import annotations

from collections.abc import Iterable

from backend.errors import Conflict, Forbidden, NotFound
from backend.events import EventSink
from backend.services.records import announce, fetch
from backend.storage.db import Database, Row, now_iso
from wire.base import WireModel
from wire.events import shopping_room

ITEM_SQL = (
    "SELECT sp.*, p.name, p.description, p.imageUrl, p.price AS regularPrice, p.stock"
    " FROM shopping_products sp JOIN products p ON p.id = sp.productId"
)
LIVE_USES = "(status = 'redeemed' OR (status = 'reserved' AND holdUntil > :now))"
"""The voucher uses that count against its limits: redeemed, or held and not yet expired."""


def own_product(db: Database, seller_id: str, product_id: str) -> Row:
    """The seller's product, or NotFound (another seller's product does not exist for them)."""
    row = db.one("SELECT * FROM products WHERE id = ? AND sellerId = ?", (product_id, seller_id))
    if row is None:
        raise NotFound("You have no such product.", code="product_not_found")
    return row


class ShopStore:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    # ---- sessions -------------------------------------------------------------------
    def session(self, session_id: str) -> Row:
        return fetch(
            self.db, "shopping_sessions", session_id, "Session not found.", "session_not_found"
        )

    def visible(self, session_id: str, viewer_id: str) -> Row:
        """A scheduled session is private to its seller; live and ended ones are public."""
        session = self.session(session_id)
        if session["status"] == "scheduled" and session["sellerId"] != viewer_id:
            raise NotFound("Session not found.", code="session_not_found")
        return session

    def owned(self, session_id: str, user_id: str) -> Row:
        session = self.visible(session_id, user_id)
        if session["sellerId"] != user_id:
            raise Forbidden("Only the session's seller can do this.", code="not_seller")
        return session

    @staticmethod
    def require_live(session: Row) -> None:
        if session["status"] != "live":
            raise Conflict("This session is not live; the shop is closed.", code="not_live")

    @staticmethod
    def require_open(session: Row) -> None:
        if session["status"] == "ended":
            raise Conflict("This session has ended.", code="session_ended")

    # ---- products in a session --------------------------------------------------------
    def find_item(self, session_id: str, product_id: str) -> Row | None:
        return self.db.one(
            f"{ITEM_SQL} WHERE sp.sessionId = ? AND sp.productId = ?", (session_id, product_id)
        )

    def item(self, session_id: str, product_id: str) -> Row:
        item = self.find_item(session_id, product_id)
        if item is None:
            raise NotFound("That product is not in this session.", code="product_not_found")
        return item

    def item_by_id(self, item_id: str) -> Row | None:
        return self.db.one(f"{ITEM_SQL} WHERE sp.id = ?", (item_id,))

    def items(self, session_id: str) -> list[Row]:
        return self.db.all(f"{ITEM_SQL} WHERE sp.sessionId = ? ORDER BY sp.rowid", (session_id,))

    # ---- orders -----------------------------------------------------------------------
    def order(self, session_id: str, order_id: str) -> Row:
        row = self.db.one(
            "SELECT * FROM shopping_orders WHERE id = ? AND sessionId = ?", (order_id, session_id)
        )
        if row is None:
            raise NotFound("Order not found.", code="order_not_found")
        return row

    def sales(self, session_id: str, product_id: str | None = None) -> Row:
        """Orders, units, revenue, discounts and flash units of a session (or one product),
        cancelled orders left out."""
        row = self.db.one(
            "SELECT COUNT(*) AS orders, COALESCE(SUM(quantity), 0) AS unitsSold,"
            " COALESCE(SUM(total), 0) AS revenue, COALESCE(SUM(discount), 0) AS discounts,"
            " COALESCE(SUM(flashUnits), 0) AS flashUnits FROM shopping_orders"
            " WHERE sessionId = :s AND (:p IS NULL OR productId = :p) AND status != 'cancelled'",
            {"s": session_id, "p": product_id},
        )
        assert row is not None
        return row

    # ---- events -----------------------------------------------------------------------
    def announce(
        self, session_id: str, event: str, data: WireModel, also: Iterable[str] = ()
    ) -> None:
        """To the session's room (and ``also`` those rooms) once the transaction commits."""
        announce(self.db, self.events, (shopping_room(session_id), *also), event, data)

    def close_pin(self, session_id: str) -> None:
        stamp = now_iso()
        self.db.execute(
            "UPDATE shopping_pins SET unpinnedAt = ?, updatedAt = ?"
            " WHERE sessionId = ? AND unpinnedAt IS NULL",
            (stamp, stamp, session_id),
        )
