"""Live shopping, split by subdomain: a seller's catalog, sessions (products on sale, the pin),
flash sales, vouchers, orders and analytics. Rows become wire models in ``presenters``; the
lookups and visibility rules every part shares are in ``store``; pure rules in ``rules``.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.events import EventSink
from backend.services.payments import PaymentProvider
from backend.services.scheduler import Scheduler
from backend.services.shopping.analytics import ShopAnalyticsReport
from backend.services.shopping.catalog import ProductCatalog
from backend.services.shopping.flash_sales import FlashSales
from backend.services.shopping.orders import Orders
from backend.services.shopping.presenters import ShopPresenter
from backend.services.shopping.sessions import ShopSessions
from backend.services.shopping.store import ShopStore
from backend.services.shopping.vouchers import Vouchers
from backend.storage.db import Database

__all__ = ["LiveShopping", "ProductCatalog"]


@dataclass(frozen=True)
class LiveShopping:
    """The parts of live shopping, built together (they share the store and the presenter)."""

    sessions: ShopSessions
    flash_sales: FlashSales
    vouchers: Vouchers
    orders: Orders
    analytics: ShopAnalyticsReport

    @classmethod
    def build(
        cls, db: Database, events: EventSink, payments: PaymentProvider, scheduler: Scheduler
    ) -> LiveShopping:
        store = ShopStore(db, events)
        present = ShopPresenter(store)
        flash = FlashSales(store, present, scheduler)
        vouchers = Vouchers(store, present, scheduler)
        return cls(
            sessions=ShopSessions(store, present, flash),
            flash_sales=flash,
            vouchers=vouchers,
            orders=Orders(store, present, flash, vouchers, payments),
            analytics=ShopAnalyticsReport(store, present),
        )
