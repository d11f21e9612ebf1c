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
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api import (
    auth,
    health,
    live_shopping,
    media,
    metrics,
    multihost,
    pk_battles,
    products,
    stream_filters,
    streams,
    wallet,
    web,
    webrtc,
    ws,
)
from backend.api.middleware import BodySizeLimit, LeanRoutes, RateLimit
from backend.api.responses import domain_failure, failure, validation_failure
from backend.errors import DomainError
from backend.realtime.hub import Hub
from backend.realtime.presence import LocalPresence, Presence, RedisPresence
from backend.realtime.rooms import register_room_rules
from backend.realtime.tasks import cancel_all
from backend.realtime.viewers import register_viewer_rooms
from backend.services.container import Services, build_services
from backend.settings import Settings
from backend.storage.db import Database

log = logging.getLogger(__name__)
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
ROUTERS = [
    auth.router,
    wallet.router,
    pk_battles.router,
    multihost.router,
    live_shopping.router,
    products.router,
    stream_filters.router,
    health.router,
    ws.router,
    media.router,
    webrtc.router,
    streams.router,
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
    db = Database(settings.db_path)
    hub = Hub(queue_size=settings.ws_queue_size)
    services = build_services(settings, db, hub)
    presence: Presence = (
        RedisPresence(hub, settings.redis_url, settings.presence_ttl_seconds)
        if settings.redis_url
        else LocalPresence(hub)
    )
    services.gifts.ensure_catalog()
    services.stream_filters.ensure_catalog()
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
        scheduler = asyncio.create_task(services.scheduler.run_forever())
        try:
            yield
        finally:
            if broker is not None:
                await broker.stop()
            await presence.stop()
            await cancel_all([scheduler])
            db.close()

    app = FastAPI(title="OnAir Studio backend", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.services = services
    app.state.hub = hub
    app.state.presence = presence
    register_room_rules(hub, services, presence)
    register_viewer_rooms(hub, services, presence)
    _install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/assets", StaticFiles(directory=ASSETS_DIR), name="assets")
    app.add_middleware(LeanRoutes, services=services, routes=pk_battles.LEAN_ROUTES)
    app.add_middleware(
        RateLimit, auth=services.auth, rate=settings.rate_per_second, burst=settings.rate_burst
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["Location", "Retry-After"],
        )
    return app


def services_of(app: Any) -> Services:
    services: Services = app.state.services
    return services
