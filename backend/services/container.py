"""Wires the services together once per app; the API layer receives this by injection."""

from __future__ import annotations

from dataclasses import dataclass

from backend.events import EventSink
from backend.services.analytics import AnalyticsService
from backend.services.auth import AuthService
from backend.services.gifts import GiftService
from backend.services.idempotency import IdempotencyService
from backend.services.live_shopping import LiveShoppingService, ProductCatalog
from backend.services.multihost import MultiHostService
from backend.services.payments import PaymentProvider, WalletPayments
from backend.services.pk_battles import PKBattleService
from backend.services.scheduler import Scheduler
from backend.services.stream_filters import StreamFilterService
from backend.services.wallet import WalletService
from backend.settings import Settings
from backend.storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    events: EventSink
    auth: AuthService
    wallet: WalletService
    gifts: GiftService
    idempotency: IdempotencyService
    scheduler: Scheduler
    pk: PKBattleService
    multihost: MultiHostService
    products: ProductCatalog
    payments: PaymentProvider
    shopping: LiveShoppingService
    analytics: AnalyticsService
    stream_filters: StreamFilterService


def build_services(settings: Settings, db: Database, events: EventSink) -> Services:
    wallet = WalletService(db)
    gifts = GiftService(db)
    scheduler = Scheduler(db)
    auth = AuthService(db, settings.resolved_secret(), settings.token_ttl_seconds)
    pk = PKBattleService(db, events, wallet, gifts, scheduler, settings.pk_invite_ttl_seconds)
    multihost = MultiHostService(
        db,
        events,
        scheduler,
        settings.multihost_invite_ttl_seconds,
        settings.multihost_grace_seconds,
    )
    payments = WalletPayments(wallet)
    return Services(
        settings=settings,
        db=db,
        events=events,
        auth=auth,
        wallet=wallet,
        gifts=gifts,
        idempotency=IdempotencyService(db),
        scheduler=scheduler,
        pk=pk,
        multihost=multihost,
        products=ProductCatalog(db),
        payments=payments,
        shopping=LiveShoppingService(db, events, payments, scheduler),
        analytics=AnalyticsService(db),
        stream_filters=StreamFilterService(db, events, wallet),
    )
