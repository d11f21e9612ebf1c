"""Live shopping: a seller's catalog, live sessions with pinned products, flash sales, vouchers,
orders paid in coins, interactions and analytics.

Money is whole coins everywhere (the wallet's unit): prices, discounts and totals are ints and
the server computes every one of them. An order is one transaction: price, voucher use, payment,
stock and flash-sale decrements, so concurrent buyers can never oversell.

Pricing: units come from the flash sale while it runs and its quantity lasts (at the flash
price), the rest at the session's live price; a voucher then discounts the subtotal.
Conversion rate is orders / unique product views (a viewer viewing a product counts once).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.events import EventSink
from backend.services.payments import PaymentProvider
from backend.services.records import announce, fetch, user_cards
from backend.services.scheduler import Scheduler
from backend.storage.db import Database, Row, iso, now_iso, parse_iso, utc_now
from wire.events import Shopping, shopping_room, user_room

MAX_PRICE = 1_000_000
MAX_STOCK = 1_000_000
MAX_ORDER_QUANTITY = 99
FLASH_MIN_MS, FLASH_MAX_MS = 1_000, 24 * 3600 * 1000
VOUCHER_HOLD = timedelta(minutes=10)
VOUCHER_CODE = re.compile(r"^[A-Z0-9_-]{3,32}$")
VOUCHER_TYPES = ("percent", "fixed")
VOUCHER_LIMITS = {
    "minOrder": (0, MAX_PRICE * MAX_ORDER_QUANTITY),
    "usageLimit": (1, MAX_STOCK),
    "perUserLimit": (1, MAX_ORDER_QUANTITY),
}
INTERACTIONS = ("view", "click", "cart-add")
ORDER_MOVES = {("placed", "fulfilled"), ("placed", "cancelled")}
FLASH_DEADLINE = "shopping:flash-end"
HOLD_DEADLINE = "shopping:voucher-hold"
LIVE_USES = "(status = 'redeemed' OR (status = 'reserved' AND holdUntil > :now))"
ITEM_SQL = (
    "SELECT sp.*, p.name, p.description, p.imageUrl, p.price AS regularPrice, p.stock"
    " FROM shopping_products sp JOIN products p ON p.id = sp.productId"
)


def check_price(value: int, field: str) -> None:
    if not 1 <= value <= MAX_PRICE:
        raise InvalidInput(f"{field} must be 1–{MAX_PRICE} coins.", code="invalid_price")


def discount_for(voucher: Row, subtotal: int) -> int:
    if voucher["type"] == "percent":
        return subtotal * voucher["value"] // 100
    return min(voucher["value"], subtotal)


def ratio(part: int | float, whole: int | float) -> float:
    return round(part / whole, 4) if whole else 0.0


class ProductCatalog:
    """A seller's own products; only the seller sees or edits them here."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self, seller_id: str, name: str, price: int, stock: int, description: str, image_url: str
    ) -> dict[str, Any]:
        _check_product(name, price, stock)
        row = self.db.insert(
            "products",
            {
                "sellerId": seller_id,
                "name": name.strip(),
                "description": description.strip(),
                "imageUrl": image_url.strip(),
                "price": price,
                "stock": stock,
            },
        )
        return row

    def update(self, seller_id: str, product_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        if not changes:
            raise InvalidInput("Nothing to change.", code="no_changes")
        with self.db.transaction():
            current = self.get(seller_id, product_id)
            merged = {**current, **changes}
            _check_product(merged["name"], merged["price"], merged["stock"])
            self.db.update("products", product_id, changes)
            if changes.get("stock"):
                self.db.execute(
                    "UPDATE shopping_products SET soldOutAt = NULL WHERE productId = ?",
                    (product_id,),
                )
            return self.get(seller_id, product_id)

    def get(self, seller_id: str, product_id: str) -> dict[str, Any]:
        row = self.db.one(
            "SELECT * FROM products WHERE id = ? AND sellerId = ?", (product_id, seller_id)
        )
        if row is None:
            raise NotFound("You have no such product.", code="product_not_found")
        return row

    def mine(self, seller_id: str) -> list[dict[str, Any]]:
        return self.db.all(
            "SELECT * FROM products WHERE sellerId = ? ORDER BY createdAt DESC", (seller_id,)
        )


def _check_product(name: str, price: int, stock: int) -> None:
    if not name.strip():
        raise InvalidInput("Give the product a name.", code="invalid_name")
    check_price(price, "price")
    if not 0 <= stock <= MAX_STOCK:
        raise InvalidInput(f"stock must be 0–{MAX_STOCK}.", code="invalid_stock")


class LiveShoppingService:
    def __init__(
        self, db: Database, events: EventSink, payments: PaymentProvider, scheduler: Scheduler
    ) -> None:
        self.db = db
        self.events = events
        self.payments = payments
        self.scheduler = scheduler
        scheduler.on(FLASH_DEADLINE, self.expire_flash_sale)
        scheduler.on(HOLD_DEADLINE, self.release_hold)

    # ---- sessions -------------------------------------------------------------------
    def create(self, seller_id: str, title: str, description: str = "") -> dict[str, Any]:
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
        return self._present(self._session(row["id"]))

    def start(self, session_id: str, user_id: str) -> dict[str, Any]:
        with self.db.transaction():
            session = self._owned(session_id, user_id)
            if session["status"] != "scheduled":
                raise Conflict(
                    f"This session is already {session['status']}.", code="not_scheduled"
                )
            self.db.update(
                "shopping_sessions", session_id, {"status": "live", "startedAt": now_iso()}
            )
            result = self._present(self._session(session_id))
            self._announce(
                session_id, Shopping.STARTED, {"sessionId": session_id, "session": result}
            )
            return result

    def end(self, session_id: str, user_id: str) -> dict[str, Any]:
        with self.db.transaction():
            session = self._owned(session_id, user_id)
            self._require_open(session)
            for item in self._items(session_id):
                if item["flashStatus"] == "active":
                    self._end_flash(item, "session-ended")
            self._close_pin(session_id)
            self.db.update(
                "shopping_sessions",
                session_id,
                {"status": "ended", "endedAt": now_iso(), "pinnedProductId": None},
            )
            result = self._present(self._session(session_id))
            self._announce(session_id, Shopping.ENDED, {"sessionId": session_id, "session": result})
            return result

    # ---- products -------------------------------------------------------------------
    def add_product(
        self,
        session_id: str,
        user_id: str,
        product_id: str,
        live_price: int | None,
        flash: dict[str, int] | None,
    ) -> dict[str, Any]:
        with self.db.transaction():
            session = self._owned(session_id, user_id)
            self._require_open(session)
            product = self.db.one(
                "SELECT * FROM products WHERE id = ? AND sellerId = ?", (product_id, user_id)
            )
            if product is None:
                raise NotFound("You have no such product.", code="product_not_found")
            if self._find_item(session_id, product_id) is not None:
                raise Conflict("This product is already in the session.", code="already_added")
            price = product["price"] if live_price is None else live_price
            check_price(price, "livePrice")
            columns = {"sessionId": session_id, "productId": product_id, "livePrice": price}
            if flash is not None:
                columns |= self._flash_columns(session, product, price, flash)
            self.db.insert("shopping_products", columns)
            item = self._item(session_id, product_id)
            state = self._product_state(item, session)
            self._announce(
                session_id, Shopping.PRODUCT_ADDED, {"sessionId": session_id, "product": state}
            )
            if flash is not None:
                self._flash_started(item, state)
            return state

    def start_flash_sale(
        self, session_id: str, user_id: str, product_id: str, flash: dict[str, int]
    ) -> dict[str, Any]:
        """A flash sale on a product already in the session (one at a time per product)."""
        with self.db.transaction():
            session = self._owned(session_id, user_id)
            self._require_open(session)
            item = self._item(session_id, product_id)
            if item["flashStatus"] == "active":
                raise Conflict("This product's flash sale is still running.", code="flash_active")
            product = self.db.one("SELECT * FROM products WHERE id = ?", (product_id,))
            assert product is not None  # the item joins it
            columns = self._flash_columns(session, product, item["livePrice"], flash)
            self.db.update("shopping_products", item["id"], columns | {"flashEndReason": None})
            item = self._item(session_id, product_id)
            state = self._product_state(item, session)
            self._flash_started(item, state)
            return state

    def _flash_started(self, item: Row, state: dict[str, Any]) -> None:
        self.scheduler.schedule(FLASH_DEADLINE, item["id"], parse_iso(item["flashEndsAt"]))
        self._announce(
            item["sessionId"],
            Shopping.FLASH_SALE,
            {"sessionId": item["sessionId"], "product": state, "countdown": state["flashSale"]},
        )

    def _flash_columns(
        self, session: Row, product: Row, live_price: int, flash: dict[str, int]
    ) -> dict[str, Any]:
        if session["status"] != "live":
            raise Conflict("Start the session before running a flash sale.", code="not_live")
        check_price(flash["price"], "flashSale.price")
        if flash["price"] >= live_price:
            raise InvalidInput(
                "The flash price must be below the live price.", code="invalid_flash_price"
            )
        if not 1 <= flash["quantity"] <= product["stock"]:
            raise InvalidInput(
                f"flashSale.quantity must be 1–{product['stock']} (the stock).",
                code="invalid_flash_quantity",
            )
        if not FLASH_MIN_MS <= flash["expiresIn"] <= FLASH_MAX_MS:
            raise InvalidInput(
                f"flashSale.expiresIn must be {FLASH_MIN_MS}–{FLASH_MAX_MS} ms.",
                code="invalid_flash_duration",
            )
        ends = utc_now() + timedelta(milliseconds=flash["expiresIn"])
        return {
            "flashPrice": flash["price"],
            "flashQuantity": flash["quantity"],
            "flashRemaining": flash["quantity"],
            "flashEndsAt": iso(ends),
            "flashStatus": "active",
        }

    def pin(self, session_id: str, user_id: str, product_id: str | None) -> dict[str, Any]:
        with self.db.transaction():
            session = self._owned(session_id, user_id)
            self._require_open(session)
            previous = session["pinnedProductId"]
            state = None
            if product_id is not None:
                state = self._product_state(self._item(session_id, product_id), session)
            if product_id != previous:
                self._close_pin(session_id)
                if product_id is not None:
                    stamp = now_iso()
                    self.db.insert(
                        "shopping_pins",
                        {"sessionId": session_id, "productId": product_id, "pinnedAt": stamp},
                    )
                self.db.update("shopping_sessions", session_id, {"pinnedProductId": product_id})
                if state is not None:
                    state["pinned"] = True
                self._announce(
                    session_id,
                    Shopping.PRODUCT_PINNED,
                    {"sessionId": session_id, "product": state, "previousProductId": previous},
                )
            return {"pinnedProduct": state, "previousProductId": previous}

    def track(self, session_id: str, viewer_id: str, product_id: str, kind: str) -> dict[str, Any]:
        if kind not in INTERACTIONS:
            raise InvalidInput(
                f"type must be one of {', '.join(INTERACTIONS)}.", code="invalid_interaction"
            )
        with self.db.transaction():
            self._require_live(self._visible(session_id, viewer_id))
            self._item(session_id, product_id)
            stamp = now_iso()
            self.db.execute(
                "INSERT INTO shopping_interactions"
                " (id, createdAt, updatedAt, sessionId, productId, viewerId, type)"
                " VALUES (lower(hex(randomblob(16))), ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (sessionId, productId, viewerId, type) DO UPDATE SET"
                " count = count + 1, updatedAt = excluded.updatedAt",
                (stamp, stamp, session_id, product_id, viewer_id, kind),
            )
            return {"sessionId": session_id, "productId": product_id, "type": kind}

    # ---- flash sales ----------------------------------------------------------------
    def expire_flash_sale(self, item_id: str) -> None:
        with self.db.transaction():
            item = self.db.one(f"{ITEM_SQL} WHERE sp.id = ?", (item_id,))
            if item is not None and item["flashStatus"] == "active":
                self._end_flash(item, "expired")

    def _end_flash(self, item: Row, reason: str) -> None:
        self.db.update(
            "shopping_products", item["id"], {"flashStatus": "ended", "flashEndReason": reason}
        )
        self.scheduler.cancel(FLASH_DEADLINE, item["id"])
        session_id = item["sessionId"]
        state = self._product_state(self._item(session_id, item["productId"]))
        self._announce(
            session_id,
            Shopping.FLASH_SALE_ENDED,
            {
                "sessionId": session_id,
                "productId": item["productId"],
                "reason": reason,
                "product": state,
            },
        )

    def _settle_flash(self, item: Row) -> Row:
        """End a flash sale whose time is up even if its deadline has not run yet."""
        if item["flashStatus"] == "active" and parse_iso(item["flashEndsAt"]) <= utc_now():
            self._end_flash(item, "expired")
            return self._item(item["sessionId"], item["productId"])
        return item

    # ---- orders ---------------------------------------------------------------------
    def place_order(
        self,
        session_id: str,
        buyer_id: str,
        product_id: str,
        quantity: int,
        voucher_code: str | None = None,
    ) -> dict[str, Any]:
        if not 1 <= quantity <= MAX_ORDER_QUANTITY:
            raise InvalidInput(f"quantity must be 1–{MAX_ORDER_QUANTITY}.", code="invalid_quantity")
        with self.db.transaction():
            session = self._visible(session_id, buyer_id)
            self._require_live(session)
            if session["sellerId"] == buyer_id:
                raise InvalidInput("You cannot buy from your own session.", code="self_purchase")
            item = self._settle_flash(self._item(session_id, product_id))
            _check_stock(item, quantity)
            flash_units = min(quantity, item["flashRemaining"]) if _flash_on(item) else 0
            subtotal = (
                flash_units * (item["flashPrice"] or 0)
                + (quantity - flash_units) * item["livePrice"]
            )
            order = self.db.insert(
                "shopping_orders",
                {
                    "sessionId": session_id,
                    "productId": product_id,
                    "buyerId": buyer_id,
                    "sellerId": session["sellerId"],
                    "quantity": quantity,
                    "flashUnits": flash_units,
                    "flashPrice": item["flashPrice"] if flash_units else None,
                    "unitPrice": item["livePrice"],
                    "subtotal": subtotal,
                    "total": subtotal,
                    "status": "placed",
                    "paymentProvider": self.payments.name,
                },
            )
            discount = 0
            if voucher_code:
                discount = self._redeem(session_id, voucher_code, buyer_id, subtotal, order["id"])
            total = subtotal - discount
            reference = self.payments.charge(buyer_id, total, order["id"])
            self.db.update(
                "shopping_orders",
                order["id"],
                {
                    "discount": discount,
                    "total": total,
                    "voucherCode": voucher_code.upper() if voucher_code else None,
                    "paymentRef": reference,
                },
            )
            self._take_stock(item, quantity, flash_units)
            return self._announce_order(session_id, order["id"], Shopping.ORDER)

    def _take_stock(self, item: Row, quantity: int, flash_units: int) -> None:
        taken = self.db.execute(
            "UPDATE products SET stock = stock - ?, updatedAt = ? WHERE id = ? AND stock >= ?",
            (quantity, now_iso(), item["productId"], quantity),
        )
        if not taken:
            raise Conflict("Sold out.", code="out_of_stock")
        if flash_units:
            self.db.execute(
                "UPDATE shopping_products SET flashRemaining = flashRemaining - ? WHERE id = ?",
                (flash_units, item["id"]),
            )
        after = self._item(item["sessionId"], item["productId"])
        if flash_units and after["flashRemaining"] == 0:
            self._end_flash(after, "sold-through")
        if after["stock"] == 0 and after["soldOutAt"] is None:
            self.db.update("shopping_products", item["id"], {"soldOutAt": now_iso()})
            self._announce(
                item["sessionId"],
                Shopping.SOLD_OUT,
                {"sessionId": item["sessionId"], "productId": item["productId"]},
            )

    def update_order(
        self, session_id: str, user_id: str, order_id: str, status: str
    ) -> dict[str, Any]:
        if status not in ("fulfilled", "cancelled"):
            raise InvalidInput("status must be fulfilled or cancelled.", code="invalid_status")
        with self.db.transaction():
            self._owned(session_id, user_id)
            order = self._order(session_id, order_id)
            if (order["status"], status) not in ORDER_MOVES:
                raise Conflict(
                    f"An order that is {order['status']} cannot become {status}.",
                    code="invalid_transition",
                )
            stamp = now_iso()
            if status == "fulfilled":
                self.payments.payout(order["sellerId"], order["total"], order_id)
                self.db.update(
                    "shopping_orders", order_id, {"status": status, "fulfilledAt": stamp}
                )
            else:
                self._cancel(order)
                self.db.update(
                    "shopping_orders", order_id, {"status": status, "cancelledAt": stamp}
                )
            return self._announce_order(session_id, order_id, Shopping.ORDER_UPDATED)

    def _cancel(self, order: Row) -> None:
        """Refund the buyer, put the units back and return the voucher use."""
        self.payments.refund(order["buyerId"], order["total"], order["id"])
        self.db.execute(
            "UPDATE products SET stock = stock + ?, updatedAt = ? WHERE id = ?",
            (order["quantity"], now_iso(), order["productId"]),
        )
        self.db.execute(
            "UPDATE shopping_products SET soldOutAt = NULL,"
            " flashRemaining = flashRemaining + CASE WHEN flashStatus = 'active' THEN ? ELSE 0 END"
            " WHERE sessionId = ? AND productId = ?",
            (order["flashUnits"], order["sessionId"], order["productId"]),
        )
        self.db.execute(
            "UPDATE shopping_voucher_uses SET status = 'released', updatedAt = ? WHERE orderId = ?",
            (now_iso(), order["id"]),
        )

    def orders(self, session_id: str, user_id: str) -> list[dict[str, Any]]:
        """The seller sees every order of the session; a buyer sees their own."""
        session = self._visible(session_id, user_id)
        mine = "" if session["sellerId"] == user_id else "AND buyerId = :u"
        rows = self.db.all(
            f"SELECT * FROM shopping_orders WHERE sessionId = :s {mine} ORDER BY createdAt DESC",
            {"s": session_id, "u": user_id},
        )
        return [self._present_order(row) for row in rows]

    def order(self, session_id: str, user_id: str, order_id: str) -> dict[str, Any]:
        session = self._visible(session_id, user_id)
        row = self._order(session_id, order_id)
        if user_id not in (session["sellerId"], row["buyerId"]):
            raise NotFound("Order not found.", code="order_not_found")
        return self._present_order(row)

    # ---- vouchers -------------------------------------------------------------------
    def create_voucher(self, session_id: str, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        code = str(spec["code"]).upper()
        _check_voucher(code, spec)
        with self.db.transaction():
            session = self._owned(session_id, user_id)
            self._require_open(session)
            if self.db.one(
                "SELECT id FROM shopping_vouchers WHERE sessionId = ? AND code = ?",
                (session_id, code),
            ):
                raise Conflict(f"This session already has a voucher {code}.", code="voucher_exists")
            expires_in = spec.get("expiresIn")
            expires = iso(utc_now() + timedelta(milliseconds=expires_in)) if expires_in else None
            row = self.db.insert(
                "shopping_vouchers",
                {
                    "sessionId": session_id,
                    "code": code,
                    "type": spec["type"],
                    "value": spec["value"],
                    "minOrder": spec.get("minOrder", 0),
                    "usageLimit": spec.get("usageLimit"),
                    "perUserLimit": spec.get("perUserLimit", 1),
                    "expiresAt": expires,
                },
            )
            voucher = self._present_voucher(row)
            self._announce(
                session_id, Shopping.VOUCHER, {"sessionId": session_id, "voucher": voucher}
            )
            return voucher

    def reserve_voucher(
        self,
        session_id: str,
        user_id: str,
        code: str,
        product_id: str | None = None,
        quantity: int = 1,
    ) -> dict[str, Any]:
        """Check a voucher and hold one use for this buyer for a while (their next order)."""
        with self.db.transaction():
            self._require_live(self._visible(session_id, user_id))
            voucher = self._voucher(session_id, code)
            subtotal = None
            if product_id is not None:
                item = self._item(session_id, product_id)
                subtotal = _preview_subtotal(item, quantity)
            hold = self._hold(voucher["id"], user_id)
            if hold is None:
                self._check_usable(voucher, user_id, subtotal)
                hold = self._new_use(voucher["id"], user_id, "reserved")
            elif subtotal is not None:
                _check_minimum(voucher, subtotal)
            return {
                "voucher": self._present_voucher(voucher),
                "reservation": {"id": hold["id"], "holdUntil": hold["holdUntil"]},
                "subtotal": subtotal,
                "discount": discount_for(voucher, subtotal) if subtotal is not None else None,
            }

    def release_hold(self, use_id: str) -> None:
        self.db.execute(
            "UPDATE shopping_voucher_uses SET status = 'released', updatedAt = ?"
            " WHERE id = ? AND status = 'reserved'",
            (now_iso(), use_id),
        )

    def _redeem(
        self, session_id: str, code: str, user_id: str, subtotal: int, order_id: str
    ) -> int:
        voucher = self._voucher(session_id, code)
        hold = self._hold(voucher["id"], user_id)
        if hold is None:
            self._check_usable(voucher, user_id, subtotal)
            hold = self._new_use(voucher["id"], user_id, "redeemed")
        else:
            _check_minimum(voucher, subtotal)
            self.scheduler.cancel(HOLD_DEADLINE, hold["id"])
        self.db.update(
            "shopping_voucher_uses", hold["id"], {"status": "redeemed", "orderId": order_id}
        )
        return discount_for(voucher, subtotal)

    def _voucher(self, session_id: str, code: str) -> Row:
        voucher = self.db.one(
            "SELECT * FROM shopping_vouchers WHERE sessionId = ? AND code = ?",
            (session_id, code.strip().upper()),
        )
        if voucher is None:
            raise NotFound("There is no such voucher in this session.", code="voucher_not_found")
        if voucher["expiresAt"] and parse_iso(voucher["expiresAt"]) <= utc_now():
            raise Conflict("This voucher has expired.", code="voucher_expired")
        return voucher

    def _check_usable(self, voucher: Row, user_id: str, subtotal: int | None) -> None:
        if subtotal is not None:
            _check_minimum(voucher, subtotal)
        uses = self.db.one(
            f"SELECT COUNT(*) AS total, SUM(userId = :u) AS mine FROM shopping_voucher_uses"
            f" WHERE voucherId = :v AND {LIVE_USES}",
            {"u": user_id, "v": voucher["id"], "now": now_iso()},
        )
        assert uses is not None
        if voucher["usageLimit"] is not None and uses["total"] >= voucher["usageLimit"]:
            raise Conflict("This voucher has been used up.", code="voucher_used_up")
        if (uses["mine"] or 0) >= voucher["perUserLimit"]:
            raise Conflict("You have already used this voucher.", code="voucher_already_used")

    def _hold(self, voucher_id: str, user_id: str) -> Row | None:
        return self.db.one(
            "SELECT * FROM shopping_voucher_uses WHERE voucherId = ? AND userId = ?"
            " AND status = 'reserved' AND holdUntil > ? LIMIT 1",
            (voucher_id, user_id, now_iso()),
        )

    def _new_use(self, voucher_id: str, user_id: str, status: str) -> Row:
        hold_until = utc_now() + VOUCHER_HOLD
        row = self.db.insert(
            "shopping_voucher_uses",
            {
                "voucherId": voucher_id,
                "userId": user_id,
                "status": status,
                "holdUntil": iso(hold_until) if status == "reserved" else None,
            },
        )
        if status == "reserved":
            self.scheduler.schedule(HOLD_DEADLINE, row["id"], hold_until)
        return row

    # ---- reads ----------------------------------------------------------------------
    def get(self, session_id: str, viewer_id: str) -> dict[str, Any]:
        return self._present(self._visible(session_id, viewer_id))

    def can_watch(self, session_id: str, viewer_id: str) -> bool:
        try:
            self._visible(session_id, viewer_id)
        except NotFound:
            return False
        return True

    def active(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT * FROM shopping_sessions WHERE status = 'live' ORDER BY startedAt DESC LIMIT ?",
            (limit,),
        )
        return [self._present(row) for row in rows]

    def top_performers(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT s.*, SUM(o.total) AS revenue, COUNT(o.id) AS orders,"
            " SUM(o.quantity) AS unitsSold FROM shopping_sessions s"
            " JOIN shopping_orders o ON o.sessionId = s.id AND o.status != 'cancelled'"
            " WHERE s.status != 'scheduled' GROUP BY s.id"
            " ORDER BY revenue DESC, orders DESC, s.startedAt LIMIT ?",
            (limit,),
        )
        return [
            {
                "rank": rank,
                "session": self._summary(row),
                "revenue": row["revenue"],
                "orders": row["orders"],
                "unitsSold": row["unitsSold"],
            }
            for rank, row in enumerate(rows, start=1)
        ]

    def analytics(self, session_id: str, user_id: str) -> dict[str, Any]:
        session = self._owned(session_id, user_id)
        products = [self._product_analytics(item) for item in self._items(session_id)]
        totals = self._totals(session_id)
        flash = [p["flashSale"] for p in products if p["flashSale"]]
        offered = sum(f["quantity"] for f in flash)
        sold = sum(f["sold"] for f in flash)
        return {
            "sessionId": session_id,
            "status": session["status"],
            "totals": totals,
            "products": products,
            "flashSales": {
                "count": len(flash),
                "offered": offered,
                "sold": sold,
                "sellThrough": ratio(sold, offered),
                "soldThroughCount": sum(f["sold"] >= f["quantity"] for f in flash),
            },
        }

    def _totals(self, session_id: str) -> dict[str, Any]:
        seen = self._interactions(session_id)
        sales = self._sales(session_id)
        cancelled = self.db.one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(total), 0) AS coins FROM shopping_orders"
            " WHERE sessionId = ? AND status = 'cancelled'",
            (session_id,),
        )
        viewers = self.db.scalar(
            "SELECT COUNT(DISTINCT viewerId) FROM shopping_interactions"
            " WHERE sessionId = ? AND type = 'view'",
            (session_id,),
        )
        assert cancelled is not None
        return {
            **seen,
            **sales,
            "uniqueViewers": viewers,
            "conversionRate": ratio(sales["orders"], seen["uniqueViews"]),
            "averageOrderValue": ratio(sales["revenue"], sales["orders"]),
            "cancelledOrders": cancelled["n"],
            "refunded": cancelled["coins"],
        }

    def _product_analytics(self, item: Row) -> dict[str, Any]:
        seen = self._interactions(item["sessionId"], item["productId"])
        sales = self._sales(item["sessionId"], item["productId"])
        flash = None
        if item["flashQuantity"]:
            flash = {
                "price": item["flashPrice"],
                "quantity": item["flashQuantity"],
                "sold": sales["flashUnits"],
                "sellThrough": ratio(sales["flashUnits"], item["flashQuantity"]),
                "status": item["flashStatus"],
                "endedReason": item["flashEndReason"],
            }
        return {
            "productId": item["productId"],
            "name": item["name"],
            **seen,
            **sales,
            "conversionRate": ratio(sales["orders"], seen["uniqueViews"]),
            "stock": item["stock"],
            "flashSale": flash,
        }

    def _interactions(self, session_id: str, product_id: str | None = None) -> dict[str, int]:
        rows = self.db.all(
            "SELECT type, SUM(count) AS total, COUNT(*) AS uniq FROM shopping_interactions"
            " WHERE sessionId = :s AND (:p IS NULL OR productId = :p) GROUP BY type",
            {"s": session_id, "p": product_id},
        )
        by_type = {row["type"]: row for row in rows}
        view = by_type.get("view", {"total": 0, "uniq": 0})
        return {
            "views": view["total"],
            "uniqueViews": view["uniq"],
            "clicks": by_type.get("click", {}).get("total", 0),
            "cartAdds": by_type.get("cart-add", {}).get("total", 0),
        }

    def _sales(self, session_id: str, product_id: str | None = None) -> dict[str, int]:
        row = self.db.one(
            "SELECT COUNT(*) AS orders, COALESCE(SUM(quantity), 0) AS unitsSold,"
            " COALESCE(SUM(total), 0) AS revenue, COALESCE(SUM(discount), 0) AS discounts,"
            " COALESCE(SUM(flashUnits), 0) AS flashUnits FROM shopping_orders"
            " WHERE sessionId = :s AND (:p IS NULL OR productId = :p) AND status != 'cancelled'",
            {"s": session_id, "p": product_id},
        )
        assert row is not None
        return row

    # ---- rules ----------------------------------------------------------------------
    def _session(self, session_id: str) -> Row:
        return fetch(
            self.db, "shopping_sessions", session_id, "Session not found.", "session_not_found"
        )

    def _visible(self, session_id: str, viewer_id: str) -> Row:
        """A scheduled session is private to its seller; live and ended ones are public."""
        session = self._session(session_id)
        if session["status"] == "scheduled" and session["sellerId"] != viewer_id:
            raise NotFound("Session not found.", code="session_not_found")
        return session

    def _owned(self, session_id: str, user_id: str) -> Row:
        session = self._visible(session_id, user_id)
        if session["sellerId"] != user_id:
            raise Forbidden("Only the session's seller can do this.", code="not_seller")
        return session

    def _require_live(self, session: Row) -> None:
        if session["status"] != "live":
            raise Conflict("This session is not live; the shop is closed.", code="not_live")

    def _require_open(self, session: Row) -> None:
        if session["status"] == "ended":
            raise Conflict("This session has ended.", code="session_ended")

    def _find_item(self, session_id: str, product_id: str) -> Row | None:
        return self.db.one(
            f"{ITEM_SQL} WHERE sp.sessionId = ? AND sp.productId = ?", (session_id, product_id)
        )

    def _item(self, session_id: str, product_id: str) -> Row:
        item = self._find_item(session_id, product_id)
        if item is None:
            raise NotFound("That product is not in this session.", code="product_not_found")
        return item

    def _items(self, session_id: str) -> list[Row]:
        return self.db.all(f"{ITEM_SQL} WHERE sp.sessionId = ? ORDER BY sp.rowid", (session_id,))

    def _order(self, session_id: str, order_id: str) -> Row:
        row = self.db.one(
            "SELECT * FROM shopping_orders WHERE id = ? AND sessionId = ?", (order_id, session_id)
        )
        if row is None:
            raise NotFound("Order not found.", code="order_not_found")
        return row

    def _close_pin(self, session_id: str) -> None:
        self.db.execute(
            "UPDATE shopping_pins SET unpinnedAt = ?, updatedAt = ?"
            " WHERE sessionId = ? AND unpinnedAt IS NULL",
            (now_iso(), now_iso(), session_id),
        )

    # ---- presentation and events ----------------------------------------------------
    def _announce(self, session_id: str, event: str, data: dict[str, Any]) -> None:
        announce(self.db, self.events, (shopping_room(session_id),), event, data)

    def _announce_order(self, session_id: str, order_id: str, event: str) -> dict[str, Any]:
        """Tell the room (the ticker and stock), the buyer and the seller; return the order."""
        order = self._present_order(self._order(session_id, order_id))
        product = self._product_state(self._item(session_id, order["productId"]))
        rooms = (
            shopping_room(session_id),
            user_room(order["buyer"]["id"]),
            user_room(order["sellerId"]),
        )
        public = {k: v for k, v in order.items() if k not in ("voucherCode", "payment")}
        announce(
            self.db,
            self.events,
            rooms,
            event,
            {"sessionId": session_id, "order": public, "product": product},
        )
        return order

    def _product_state(self, item: Row, session: Row | None = None) -> dict[str, Any]:
        session = session or self._session(item["sessionId"])
        flash = None
        if item["flashQuantity"]:
            ends = parse_iso(item["flashEndsAt"])
            flash = {
                "price": item["flashPrice"],
                "quantity": item["flashQuantity"],
                "remaining": item["flashRemaining"],
                "endsAt": item["flashEndsAt"],
                "remainingMs": max(0, int((ends - utc_now()).total_seconds() * 1000))
                if _flash_on(item)
                else 0,
                "status": "active" if _flash_on(item) else "ended",
                "endedReason": item["flashEndReason"],
            }
        return {
            "productId": item["productId"],
            "name": item["name"],
            "description": item["description"],
            "imageUrl": item["imageUrl"],
            "regularPrice": item["regularPrice"],
            "livePrice": item["livePrice"],
            "currentPrice": item["flashPrice"] if _flash_on(item) else item["livePrice"],
            "stock": item["stock"],
            "soldOut": item["stock"] == 0,
            "pinned": session["pinnedProductId"] == item["productId"],
            "flashSale": flash,
            "addedAt": item["createdAt"],
        }

    def _present_order(self, row: Row) -> dict[str, Any]:
        name = self.db.scalar("SELECT name FROM products WHERE id = ?", (row["productId"],))
        return {
            "id": row["id"],
            "sessionId": row["sessionId"],
            "productId": row["productId"],
            "productName": name,
            "buyer": user_cards(self.db, [row["buyerId"]]).get(row["buyerId"]),
            "sellerId": row["sellerId"],
            "quantity": row["quantity"],
            "flashUnits": row["flashUnits"],
            "flashPrice": row["flashPrice"],
            "livePrice": row["unitPrice"],
            "subtotal": row["subtotal"],
            "discount": row["discount"],
            "total": row["total"],
            "voucherCode": row["voucherCode"],
            "status": row["status"],
            "payment": {"provider": row["paymentProvider"], "reference": row["paymentRef"]},
            "createdAt": row["createdAt"],
            "updatedAt": row["updatedAt"],
            "fulfilledAt": row["fulfilledAt"],
            "cancelledAt": row["cancelledAt"],
        }

    def _present_voucher(self, row: Row) -> dict[str, Any]:
        used = self.db.scalar(
            f"SELECT COUNT(*) FROM shopping_voucher_uses WHERE voucherId = :v AND {LIVE_USES}",
            {"v": row["id"], "now": now_iso()},
        )
        limit = row["usageLimit"]
        return {
            "code": row["code"],
            "type": row["type"],
            "value": row["value"],
            "minOrder": row["minOrder"],
            "usageLimit": limit,
            "perUserLimit": row["perUserLimit"],
            "used": used,
            "remaining": None if limit is None else max(0, limit - used),
            "expiresAt": row["expiresAt"],
        }

    def _summary(self, session: Row) -> dict[str, Any]:
        seller = session["sellerId"]
        return {
            "id": session["id"],
            "title": session["title"],
            "description": session["description"],
            "status": session["status"],
            "seller": user_cards(self.db, [seller]).get(seller),
            "startedAt": session["startedAt"],
            "endedAt": session["endedAt"],
        }

    def _present(self, session: Row) -> dict[str, Any]:
        products = [self._product_state(item, session) for item in self._items(session["id"])]
        vouchers = self.db.all(
            "SELECT * FROM shopping_vouchers WHERE sessionId = ? ORDER BY createdAt",
            (session["id"],),
        )
        pins = self.db.all(
            "SELECT productId, pinnedAt, unpinnedAt FROM shopping_pins WHERE sessionId = ?"
            " ORDER BY pinnedAt, rowid",
            (session["id"],),
        )
        sales = self._sales(session["id"])
        return {
            **self._summary(session),
            "pinnedProduct": next((p for p in products if p["pinned"]), None),
            "products": products,
            "vouchers": [self._present_voucher(v) for v in vouchers],
            "pinHistory": pins,
            "stats": {k: sales[k] for k in ("orders", "unitsSold", "revenue")},
            "createdAt": session["createdAt"],
            "updatedAt": session["updatedAt"],
            "serverTime": now_iso(),
        }


def _flash_on(item: Row) -> bool:
    return (
        item["flashStatus"] == "active"
        and item["flashRemaining"] > 0
        and parse_iso(item["flashEndsAt"]) > utc_now()
    )


def _check_stock(item: Row, quantity: int) -> None:
    if item["stock"] == 0:
        raise Conflict(f"{item['name']} is sold out.", code="out_of_stock")
    if item["stock"] < quantity:
        raise Conflict(
            f"Only {item['stock']} of {item['name']} left; order fewer.", code="out_of_stock"
        )


def _preview_subtotal(item: Row, quantity: int) -> int:
    if not 1 <= quantity <= MAX_ORDER_QUANTITY:
        raise InvalidInput(f"quantity must be 1–{MAX_ORDER_QUANTITY}.", code="invalid_quantity")
    flash_units = min(quantity, item["flashRemaining"]) if _flash_on(item) else 0
    return flash_units * (item["flashPrice"] or 0) + (quantity - flash_units) * item["livePrice"]


def _check_minimum(voucher: Row, subtotal: int) -> None:
    if subtotal < voucher["minOrder"]:
        raise InvalidInput(
            f"This voucher needs an order of at least {voucher['minOrder']} coins.",
            code="below_minimum",
        )


def _check_voucher(code: str, spec: dict[str, Any]) -> None:
    if not VOUCHER_CODE.match(code):
        raise InvalidInput(
            "code must be 3–32 letters, digits, '_' or '-'.", code="invalid_voucher_code"
        )
    if spec["type"] not in VOUCHER_TYPES:
        raise InvalidInput("type must be percent or fixed.", code="invalid_voucher_type")
    top = 100 if spec["type"] == "percent" else MAX_PRICE
    if not 1 <= spec["value"] <= top:
        raise InvalidInput(f"value must be 1–{top}.", code="invalid_voucher_value")
    for field, (low, high) in VOUCHER_LIMITS.items():
        value = spec.get(field)
        if value is not None and not low <= value <= high:
            raise InvalidInput(f"{field} must be {low}–{high}.", code="invalid_voucher_limits")
    expires_in = spec.get("expiresIn")
    if expires_in is not None and not FLASH_MIN_MS <= expires_in <= 30 * FLASH_MAX_MS:
        raise InvalidInput("expiresIn must be 1 s to 30 days, in ms.", code="invalid_expiry")
