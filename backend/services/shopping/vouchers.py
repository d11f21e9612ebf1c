"""Vouchers: created by the seller, checked by a buyer, held at checkout, redeemed by an order.

A limited voucher's uses are what it is worth, so nobody may sit on them: applying a code
(``/vouchers/use``) only checks it; a use is held only at checkout, for ``CHECKOUT_HOLD``, by a
buyer who can pay, one hold per buyer and session (``MAX_HOLDS`` in all), and the hold is
released as soon as the order fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.errors import Conflict, NotFound
from backend.services.scheduler import Scheduler
from backend.services.shopping.presenters import ShopPart, ShopPresenter
from backend.services.shopping.rules import (
    CHECKOUT_HOLD,
    check_minimum,
    check_voucher_terms,
    discount_for,
    price,
)
from backend.services.shopping.store import LIVE_USES, ShopStore
from backend.storage.db import Row, iso, now_iso, parse_iso, utc_now
from wire.events import Shopping
from wire.shopping import Voucher, VoucherCheck, VoucherCreated

HOLD_DEADLINE = "shopping:voucher-hold"
MAX_HOLDS = 3
"""Voucher uses one account may hold at once, across sessions (checkouts in progress)."""
HELD = "status = 'reserved' AND holdUntil > :now"


@dataclass(frozen=True)
class Hold:
    discount: int
    until: datetime


class Vouchers(ShopPart):
    def __init__(self, store: ShopStore, present: ShopPresenter, scheduler: Scheduler) -> None:
        super().__init__(store, present)
        self.scheduler = scheduler
        scheduler.on(HOLD_DEADLINE, self.release_hold)

    def create(self, session_id: str, user_id: str, spec: dict[str, Any]) -> Voucher:
        code = str(spec["code"]).upper()
        check_voucher_terms(code, spec)
        with self.db.transaction():
            self.store.require_open(self.store.owned(session_id, user_id))
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
            voucher = self.present.voucher(row)
            self.store.announce(
                session_id, Shopping.VOUCHER, VoucherCreated(session_id=session_id, voucher=voucher)
            )
            return voucher

    def check(
        self,
        session_id: str,
        user_id: str,
        code: str,
        product_id: str | None = None,
        quantity: int = 1,
    ) -> VoucherCheck:
        """Whether this buyer may use the voucher (and, for a product, what it takes off).
        Nothing is held (or written): checkout holds a use."""
        self.store.require_live(self.store.visible(session_id, user_id))
        voucher = self._voucher(session_id, code)
        subtotal = None
        if product_id is not None:
            subtotal = price(self.store.item(session_id, product_id), quantity).subtotal
        if self._held(voucher["id"], user_id) is None:
            self._check_usable(voucher, user_id, subtotal)
        elif subtotal is not None:
            check_minimum(voucher, subtotal)
        return VoucherCheck(
            voucher=self.present.voucher(voucher),
            subtotal=subtotal,
            discount=None if subtotal is None else discount_for(voucher, subtotal),
        )

    def hold(self, session_id: str, buyer_id: str, code: str, subtotal: int) -> Hold:
        """At checkout (inside its transaction): hold one use for this buyer a short while.
        A new checkout in the session replaces the buyer's earlier hold there."""
        voucher = self._voucher(session_id, code)
        held = self._held(voucher["id"], buyer_id)
        self._release_held(buyer_id, session_id, keep=held["id"] if held else None)
        until = utc_now() + CHECKOUT_HOLD
        if held is None:
            self._check_usable(voucher, buyer_id, subtotal)
            self._check_hold_count(buyer_id)
            held = self.db.insert(
                "shopping_voucher_uses",
                {
                    "voucherId": voucher["id"],
                    "userId": buyer_id,
                    "status": "reserved",
                    "holdUntil": iso(until),
                },
            )
        else:
            check_minimum(voucher, subtotal)
            self.db.update("shopping_voucher_uses", held["id"], {"holdUntil": iso(until)})
        self.scheduler.schedule(HOLD_DEADLINE, held["id"], until)
        return Hold(discount_for(voucher, subtotal), until)

    def redeem(
        self, session_id: str, code: str, buyer_id: str, subtotal: int, order_id: str
    ) -> int:
        """Use the voucher for an order (the buyer's hold if any); returns the discount."""
        voucher = self._voucher(session_id, code)
        held = self._held(voucher["id"], buyer_id)
        if held is None:
            self._check_usable(voucher, buyer_id, subtotal)
            self.db.insert(
                "shopping_voucher_uses",
                {
                    "voucherId": voucher["id"],
                    "userId": buyer_id,
                    "status": "redeemed",
                    "orderId": order_id,
                },
            )
        else:
            check_minimum(voucher, subtotal)
            self.scheduler.cancel(HOLD_DEADLINE, held["id"])
            self.db.update(
                "shopping_voucher_uses", held["id"], {"status": "redeemed", "orderId": order_id}
            )
        return discount_for(voucher, subtotal)

    def release_hold(self, use_id: str) -> None:
        self.db.execute(
            "UPDATE shopping_voucher_uses SET status = 'released', updatedAt = ?"
            " WHERE id = ? AND status = 'reserved'",
            (now_iso(), use_id),
        )

    def release_holds(self, buyer_id: str, session_id: str) -> None:
        """The buyer's order failed: their held uses in the session go back at once."""
        with self.db.transaction():
            self._release_held(buyer_id, session_id)

    def give_back(self, order_id: str) -> None:
        """A cancelled order returns its voucher use."""
        self.db.execute(
            "UPDATE shopping_voucher_uses SET status = 'released', updatedAt = ? WHERE orderId = ?",
            (now_iso(), order_id),
        )

    def _release_held(self, buyer_id: str, session_id: str, keep: str | None = None) -> None:
        rows = self.db.all(
            "SELECT u.id FROM shopping_voucher_uses u"
            " JOIN shopping_vouchers v ON v.id = u.voucherId"
            f" WHERE u.userId = :u AND v.sessionId = :s AND u.{HELD}",
            {"u": buyer_id, "s": session_id, "now": now_iso()},
        )
        for row in rows:
            if row["id"] != keep:
                self.scheduler.cancel(HOLD_DEADLINE, row["id"])
                self.release_hold(row["id"])

    def _check_hold_count(self, buyer_id: str) -> None:
        held = self.db.all(
            f"SELECT holdUntil FROM shopping_voucher_uses WHERE userId = :u AND {HELD}"
            " ORDER BY holdUntil",
            {"u": buyer_id, "now": now_iso()},
        )
        if len(held) >= MAX_HOLDS:
            wait = (parse_iso(held[0]["holdUntil"]) - utc_now()).total_seconds()
            raise Conflict(
                f"You are holding vouchers in {len(held)} other checkouts; finish one or try"
                f" again in {max(1, round(wait))} s.",
                code="too_many_holds",
            )

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
            check_minimum(voucher, subtotal)
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

    def _held(self, voucher_id: str, user_id: str) -> Row | None:
        return self.db.one(
            "SELECT * FROM shopping_voucher_uses WHERE voucherId = :v AND userId = :u"
            f" AND {HELD} LIMIT 1",
            {"v": voucher_id, "u": user_id, "now": now_iso()},
        )
