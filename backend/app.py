"""The backend application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api import (
    auth,
    chat,
    coins,
    gifts,
    health,
    live_shopping,
    media,
    metrics,
    multihost,
    pk_battles,
    products,
    social,
    stream_filters,
    stream_keys,
    streams,
    wallet,
    web,
    webrtc,
    ws,
)
from backend.api.client_address import ClientAddress
from backend.api.db_portal import DatabasePortal
from backend.api.lean import LeanDispatch, lean_routes
from backend.api.middleware import BodySizeLimit, RateLimit, RateLimits
from backend.api.responses import domain_failure, failure, validation_failure
from backend.errors import DomainError
from backend.realtime.chat import register_chat
from backend.realtime.hub import Hub
from backend.realtime.presence import LocalPresence, Presence, RedisPresence
from backend.realtime.rooms import register_room_rules
from backend.realtime.tasks import cancel_all
from backend.realtime.viewers import register_viewer_rooms
from backend.services.container import Services, build_services
from backend.settings import Settings
from backend.storage.engines import open_database

log = logging.getLogger(__name__)
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
ROUTERS = [
    pk_battles.router,  # first: the gift storm's route is matched before any other
    gifts.router,  # then the gift route of every live
    auth.router,
    wallet.router,
    multihost.router,
    live_shopping.router,
    products.router,
    stream_filters.router,
    health.router,
    ws.router,
    media.router,
    webrtc.router,
    streams.router,
    chat.router,
    stream_keys.router,
    social.router,
    coins.router,
    web.router,
    metrics.router,
]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return domain_failure(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_failure(exc.errors())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        code = codes.get(exc.status_code, "http_error")
        return failure(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return failure(500, "server_error", "Something went wrong on our side.")


def create_app(settings: Settings) -> FastAPI:
    db = open_database(settings.db_path, settings.database_url)
    hub = Hub(queue_size=settings.ws_queue_size)
    services = build_services(settings, db, hub)
    presence: Presence = (
        RedisPresence(hub, settings.redis_url, settings.presence_ttl_seconds)
        if settings.redis_url
        else LocalPresence(hub)
    )
    services.gifts.ensure_catalog()
    services.stream_filters.catalog.sync()
    if settings.demo:
        from backend.services.demo import seed_demo

        seed_demo(services)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        broker = None
        if settings.redis_url:
            from backend.realtime.redis_broker import RedisBroker

            broker = RedisBroker(hub, settings.redis_url)
            await broker.start()
        await presence.start()
        # On PostgreSQL its round trips wait off the loop, as requests' do.
        scheduler = asyncio.create_task(db.serve(services.scheduler.run_forever()))
        try:
            yield
        finally:
            if broker is not None:
                await broker.stop()
            await presence.stop()
            await cancel_all([scheduler])
            await viewer_counts.close()
            await db.timers_finished()
            services.chat.system.flush()  # gift lines still being gathered are written, not lost
            services.social.likes.flush_all()  # so are likes waiting for their batch
            await services.social.likes.rate.close()
            services.logins.pool.close()
            db.close()

    app = FastAPI(
        title="OnAir Studio backend",
        version="0.1.0",
        lifespan=lifespan,
        # The backend exports no OpenTelemetry (its figures are /metrics): FastAPI's native
        # telemetry would look the global providers up in os.environ on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.services = services
    app.state.hub = hub
    app.state.presence = presence
    app.state.client_address = ClientAddress(settings.trusted_proxies)
    register_room_rules(hub, services, presence)
    viewer_counts = register_viewer_rooms(hub, services, presence)
    app.state.chat_joins = register_chat(hub, services)
    _install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/assets", web.StaticFilesSmallAtOnce(directory=ASSETS_DIR), name="assets")
    app.add_middleware(LeanDispatch, routes=lean_routes(ROUTERS))  # inside the limits
    app.add_middleware(
        RateLimit,
        auth=services.auth,
        limits=RateLimits.from_settings(settings),
        addresses=app.state.client_address,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if db.engine == "postgresql":
        app.add_middleware(DatabasePortal)  # round trips wait off the event loop
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match"],
            # A viewer page on another origin trickles its ICE candidates (WHEP PATCH).
            expose_headers=["Location", "Retry-After", "Accept-Patch", "ETag"],
        )
    return app


def services_of(app: Any) -> Services:
    services: Services = app.state.services
    return services
