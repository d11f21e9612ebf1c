"""What a session sold: views, clicks, orders, revenue, conversion, flash-sale sell-through.

Conversion rate is orders / unique product views (a viewer viewing a product counts once).
"""

from __future__ import annotations

from backend.services.shopping.presenters import ShopPart
from backend.services.shopping.rules import ratio
from backend.storage.db import Row
from wire.shopping import (
    FlashResult,
    FlashSummary,
    Interactions,
    ProductStats,
    Sales,
    ShopAnalytics,
    ShopTotals,
    TopPerformer,
)


class ShopAnalyticsReport(ShopPart):
    def analytics(self, session_id: str, user_id: str) -> ShopAnalytics:
        session = self.store.owned(session_id, user_id)
        products = [self._product(item) for item in self.store.items(session_id)]
        flash = [p.flash_sale for p in products if p.flash_sale is not None]
        offered = sum(f.quantity for f in flash)
        sold = sum(f.sold for f in flash)
        return ShopAnalytics(
            session_id=session_id,
            status=session["status"],
            totals=self._totals(session_id),
            products=products,
            flash_sales=FlashSummary(
                count=len(flash),
                offered=offered,
                sold=sold,
                sell_through=ratio(sold, offered),
                sold_through_count=sum(f.sold >= f.quantity for f in flash),
            ),
        )

    def top_performers(self, limit: int = 10) -> list[TopPerformer]:
        rows = self.db.all(
            "SELECT s.*, SUM(o.total) AS revenue, COUNT(o.id) AS orders,"
            " SUM(o.quantity) AS unitsSold FROM shopping_sessions s"
            " JOIN shopping_orders o ON o.sessionId = s.id AND o.status != 'cancelled'"
            " WHERE s.status != 'scheduled' GROUP BY s.id"
            " ORDER BY revenue DESC, orders DESC, s.startedAt LIMIT ?",
            (limit,),
        )
        return [
            TopPerformer(
                rank=rank,
                session=self.present.summary(row),
                revenue=row["revenue"],
                orders=row["orders"],
                units_sold=row["unitsSold"],
            )
            for rank, row in enumerate(rows, start=1)
        ]

    def _totals(self, session_id: str) -> ShopTotals:
        seen = self._interactions(session_id)
        sales = Sales.model_validate(self.store.sales(session_id))
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
        return ShopTotals(
            **dict(seen),
            **dict(sales),
            unique_viewers=viewers,
            conversion_rate=ratio(sales.orders, seen.unique_views),
            average_order_value=ratio(sales.revenue, sales.orders),
            cancelled_orders=cancelled["n"],
            refunded=cancelled["coins"],
        )

    def _product(self, item: Row) -> ProductStats:
        seen = self._interactions(item["sessionId"], item["productId"])
        sales = Sales.model_validate(self.store.sales(item["sessionId"], item["productId"]))
        flash = None
        if item["flashQuantity"]:
            flash = FlashResult(
                price=item["flashPrice"],
                quantity=item["flashQuantity"],
                sold=sales.flash_units,
                sell_through=ratio(sales.flash_units, item["flashQuantity"]),
                status=item["flashStatus"],
                ended_reason=item["flashEndReason"],
            )
        return ProductStats(
            **dict(seen),
            **dict(sales),
            product_id=item["productId"],
            name=item["name"],
            conversion_rate=ratio(sales.orders, seen.unique_views),
            stock=item["stock"],
            flash_sale=flash,
        )

    def _interactions(self, session_id: str, product_id: str | None = None) -> Interactions:
        rows = self.db.all(
            "SELECT type, SUM(count) AS total, COUNT(*) AS uniq FROM shopping_interactions"
            " WHERE sessionId = :s AND (:p IS NULL OR productId = :p) GROUP BY type",
            {"s": session_id, "p": product_id},
        )
        by_type = {row["type"]: row for row in rows}
        view = by_type.get("view", {"total": 0, "uniq": 0})
        return Interactions(
            views=view["total"],
            unique_views=view["uniq"],
            clicks=by_type.get("click", {}).get("total", 0),
            cart_adds=by_type.get("cart-add", {}).get("total", 0),
        )
