"""Orders paid in coins: checkout (the server's price, a voucher use held), placing,
fulfilling and cancelling.

An order is one transaction: price, voucher use, payment, stock and flash-sale decrements, so
concurrent buyers can never oversell.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.errors import Conflict, InvalidInput, NotFound
from backend.services.payments import PaymentProvider
from backend.services.shopping.flash_sales import FlashSales
from backend.services.shopping.presenters import ShopPart, ShopPresenter
from backend.services.shopping.rules import ORDER_MOVES, check_quantity, check_stock, price
from backend.services.shopping.store import ShopStore
from backend.services.shopping.vouchers import Vouchers
from backend.storage.db import Row, now_iso
from wire.events import Shopping, user_room
from wire.shopping import Checkout, Order, OrderChanged, SoldOut


@dataclass(frozen=True)
class Basket:
    """What a buyer asks for: ``quantity`` of a session's product, maybe with a voucher."""

    product_id: str
    quantity: int = 1
    voucher_code: str | None = None


class Orders(ShopPart):
    def __init__(
        self,
        store: ShopStore,
        present: ShopPresenter,
        flash: FlashSales,
        vouchers: Vouchers,
        payments: PaymentProvider,
    ) -> None:
        super().__init__(store, present)
        self.flash = flash
        self.vouchers = vouchers
        self.payments = payments

    def checkout(self, session_id: str, buyer_id: str, basket: Basket) -> Checkout:
        """What the order would cost now, for the buyer to confirm; a voucher's use is held
        for them meanwhile (only if they can pay)."""
        voucher_code = basket.voucher_code
        with self.db.transaction():
            _, item = self._buyable(session_id, buyer_id, basket)
            cost = price(item, basket.quantity)
            discount, hold_until = 0, None
            if voucher_code:
                hold = self.vouchers.hold(session_id, buyer_id, voucher_code, cost.subtotal)
                discount, hold_until = hold.discount, hold.until
            self.payments.check_funds(buyer_id, cost.subtotal - discount)
            return Checkout(
                product_id=basket.product_id,
                quantity=basket.quantity,
                flash_units=cost.flash_units,
                subtotal=cost.subtotal,
                discount=discount,
                total=cost.subtotal - discount,
                voucher_code=voucher_code.strip().upper() if voucher_code else None,
                hold_until=hold_until,
            )

    def place(self, session_id: str, buyer_id: str, basket: Basket) -> Order:
        """Place and pay for an order. If it fails, call ``vouchers.release_holds`` once its
        transaction has rolled back, so the buyer's held voucher use goes back at once."""
        product_id, quantity, voucher_code = basket.product_id, basket.quantity, basket.voucher_code
        with self.db.transaction():
            session, item = self._buyable(session_id, buyer_id, basket)
            cost = price(item, quantity)
            order = self.db.insert(
                "shopping_orders",
                {
                    "sessionId": session_id,
                    "productId": product_id,
                    "buyerId": buyer_id,
                    "sellerId": session["sellerId"],
                    "quantity": quantity,
                    "flashUnits": cost.flash_units,
                    "flashPrice": item["flashPrice"] if cost.flash_units else None,
                    "unitPrice": item["livePrice"],
                    "subtotal": cost.subtotal,
                    "total": cost.subtotal,
                    "status": "placed",
                    "paymentProvider": self.payments.name,
                },
            )
            discount = 0
            if voucher_code:
                discount = self.vouchers.redeem(
                    session_id, voucher_code, buyer_id, cost.subtotal, order["id"]
                )
            total = cost.subtotal - discount
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
            self._take_stock(item, quantity, cost.flash_units)
            return self._announce(session_id, order["id"], Shopping.ORDER)

    def _buyable(self, session_id: str, buyer_id: str, basket: Basket) -> tuple[Row, Row]:
        """The session and its product a buyer may order ``quantity`` of now (the product's
        flash sale settled)."""
        check_quantity(basket.quantity)
        session = self.store.visible(session_id, buyer_id)
        self.store.require_live(session)
        if session["sellerId"] == buyer_id:
            raise InvalidInput("You cannot buy from your own session.", code="self_purchase")
        item = self.flash.settle(self.store.item(session_id, basket.product_id))
        check_stock(item, basket.quantity)
        return session, item

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
        after = self.store.item(item["sessionId"], item["productId"])
        if flash_units and after["flashRemaining"] == 0:
            self.flash.end(after, "sold-through")
        if after["stock"] == 0 and after["soldOutAt"] is None:
            self.db.update("shopping_products", item["id"], {"soldOutAt": now_iso()})
            sold_out = SoldOut(session_id=item["sessionId"], product_id=item["productId"])
            self.store.announce(item["sessionId"], Shopping.SOLD_OUT, sold_out)

    def update(self, session_id: str, user_id: str, order_id: str, status: str) -> Order:
        if status not in ("fulfilled", "cancelled"):
            raise InvalidInput("status must be fulfilled or cancelled.", code="invalid_status")
        with self.db.transaction():
            self.store.owned(session_id, user_id)
            order = self.store.order(session_id, order_id)
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
            return self._announce(session_id, order_id, Shopping.ORDER_UPDATED)

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
        self.vouchers.give_back(order["id"])

    def _announce(self, session_id: str, order_id: str, event: str) -> Order:
        """Tell the room (the ticker and stock), the buyer and the seller; return the order."""
        row = self.store.order(session_id, order_id)
        order = self.present.order(row)
        product = self.present.live_product(self.store.item(session_id, order.product_id))
        changed = OrderChanged(
            session_id=session_id, order=self.present.public_order(order), product=product
        )
        rooms = (user_room(row["buyerId"]), user_room(row["sellerId"]))
        self.store.announce(session_id, event, changed, also=rooms)
        return order

    # ---- reads ----------------------------------------------------------------------
    def visible_to(self, session_id: str, user_id: str) -> list[Order]:
        """The seller sees every order of the session; a buyer sees their own."""
        session = self.store.visible(session_id, user_id)
        mine = "" if session["sellerId"] == user_id else "AND buyerId = :u"
        rows = self.db.all(
            f"SELECT * FROM shopping_orders WHERE sessionId = :s {mine} ORDER BY createdAt DESC",
            {"s": session_id, "u": user_id},
        )
        return [self.present.order(row) for row in rows]

    def get(self, session_id: str, user_id: str, order_id: str) -> Order:
        session = self.store.visible(session_id, user_id)
        row = self.store.order(session_id, order_id)
        if user_id not in (session["sellerId"], row["buyerId"]):
            raise NotFound("Order not found.", code="order_not_found")
        return self.present.order(row)
