"""Wires the services together once per app; the API layer receives this by injection."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher

from backend.events import EventSink
from backend.services.analytics import AnalyticsService
from backend.services.auth import AuthService
from backend.services.chat import ChatService
from backend.services.coins import CoinPurchases, build_coins
from backend.services.gifts import GiftService
from backend.services.idempotency import IdempotencyService
from backend.services.logins import HashingPool, LoginService
from backend.services.multihost import MultiHost, build_multihost
from backend.services.payments import PaymentProvider, WalletPayments
from backend.services.pk import PKBattleService
from backend.services.scheduler import Scheduler
from backend.services.shopping import LiveShopping, ProductCatalog
from backend.services.social import Social
from backend.services.social.likes import LikeRate, LocalLikeRate, RedisLikeRate
from backend.services.stream_filters import StreamFilterCatalog
from backend.services.stream_gifts import StreamGifts
from backend.services.stream_keys import StreamKeyService
from backend.services.wallet import WalletService
from backend.services.ws_tickets import WsTicketService
from backend.settings import Settings
from backend.storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    events: EventSink
    auth: AuthService
    logins: LoginService
    ws_tickets: WsTicketService
    wallet: WalletService
    gifts: GiftService
    stream_gifts: StreamGifts
    idempotency: IdempotencyService
    scheduler: Scheduler
    pk: PKBattleService
    multihost: MultiHost
    products: ProductCatalog
    payments: PaymentProvider
    shopping: LiveShopping
    analytics: AnalyticsService
    stream_filters: StreamFilterCatalog
    chat: ChatService
    stream_keys: StreamKeyService
    social: Social
    coins: CoinPurchases


def build_services(settings: Settings, db: Database, events: EventSink) -> Services:
    wallet = WalletService(db)
    gifts = GiftService(db)
    scheduler = Scheduler(db)
    hasher = PasswordHasher(
        time_cost=settings.password_hash_passes,
        memory_cost=settings.password_hash_memory_kib,
        parallelism=1,
    )
    auth = AuthService(db, settings.resolved_secret(), settings.token_ttl_seconds, hasher)
    pk = PKBattleService(db, events, wallet, gifts, scheduler, settings.pk_invite_ttl_seconds)
    multihost = build_multihost(
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
        logins=LoginService(
            auth,
            HashingPool(settings.login_workers, settings.login_queue),
            settings.login_free_failures,
        ),
        ws_tickets=WsTicketService(db, auth),
        wallet=wallet,
        gifts=gifts,
        stream_gifts=StreamGifts(db, events, wallet, gifts, pk.gifts),
        idempotency=IdempotencyService(db),
        scheduler=scheduler,
        pk=pk,
        multihost=multihost,
        products=ProductCatalog(db),
        payments=payments,
        shopping=LiveShopping.build(db, events, payments, scheduler),
        analytics=AnalyticsService(db),
        stream_filters=StreamFilterCatalog.build(db, events, wallet),
        chat=ChatService.build(db, events, scheduler),
        stream_keys=StreamKeyService(db),
        social=Social.build(db, events, _like_rate(settings)),
        coins=build_coins(settings, db, wallet),
    )


def _like_rate(settings: Settings) -> LikeRate:
    """Several nodes share Redis: a viewer's like budget lives there, one for every node."""
    return RedisLikeRate(settings.redis_url) if settings.redis_url else LocalLikeRate()
