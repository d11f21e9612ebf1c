"""Running the backend: `onair serve` and the all-in-one `onair run`."""

from __future__ import annotations

import gc
import logging
import logging.config
import os
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI

from backend.app import create_app
from backend.logs import log_config
from backend.realtime.ws_protocol import SharedFrameProtocol
from backend.settings import Settings

WS_IMPLEMENTATION = SharedFrameProtocol  # websockets-sansio with shared broadcast frames


def banner(settings: Settings) -> str:
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    lines = [
        "OnAir Studio backend",
        f"  API        {base}/api  (docs: {base}/docs)",
        f"  WebSocket  {base.replace('http', 'ws', 1)}/ws  (?ticket= from POST /api/ws-ticket)",
        f"  Database   {database_label(settings)}",
    ]
    if settings.demo:
        lines.append("  Demo users alice, bob, carol, dave, viewer1, viewer2 — password onair-demo")
    return "\n".join(lines)


def database_label(settings: Settings) -> str:
    """The SQLite file, or the PostgreSQL URL without its password."""
    if not settings.database_url:
        return str(settings.db_path)
    parts = urlsplit(settings.database_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


SETTINGS_ENV = "ONAIR_SETTINGS_JSON"
# Allocations between two young collections (CPython's default: 700). Fewer young collections
# also mean fewer of the older generations' (each is counted in the younger one's runs).
GC_YOUNG_THRESHOLD = 10_000
# How long a stopping server lets requests in flight finish before it cancels them: uvicorn
# would otherwise wait as long as a client keeps one open (a stalled upload held a stop for good).
GRACEFUL_SHUTDOWN_S = 5


def settle_heap() -> None:
    """Once the app is built, before it serves: what startup made (modules, the app, its routes
    and models: ~160,000 objects) leaves the cyclic collector's sight for good, and young
    collections run less often. A full collection walked all of it, holding the event loop:
    in the chat benchmark's server (start, 1,000 WebSocket viewers joining, one round) 5-6 full
    collections of 40-254 ms CPU each, 0.94-1.25 s of collecting in all; settled, 3 of 34-144 ms,
    0.58-0.60 s (measured with gc.callbacks and thread CPU time, two runs each).
    Only for a serving process: objects frozen here are never collected as cycles."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def app_from_environment() -> FastAPI:
    """The app factory each worker process calls (settings come from the parent)."""
    app = create_app(Settings.from_json(os.environ[SETTINGS_ENV]))
    settle_heap()
    return app


def serve(settings: Settings, workers: int = 1) -> int:
    config = log_config()
    logging.config.dictConfig(config)
    if workers > 1 and not settings.redis_url:
        print("onair serve: --workers > 1 needs --redis-url so workers share events.")
        return 2
    # Resolve the secret once so every worker signs and verifies tokens with the same key.
    settings = settings.with_overrides(jwt_secret=settings.resolved_secret())
    print(banner(settings), flush=True)
    target: FastAPI | str
    if workers > 1:
        os.environ[SETTINGS_ENV] = settings.to_json()
        target = "backend.server:app_from_environment"
    else:
        target = create_app(settings)
        settle_heap()
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=settings.host,
        port=settings.port,
        ws=WS_IMPLEMENTATION,
        # uvicorn would take X-Forwarded-For from any local peer; the backend decides itself,
        # from --trusted-proxy only (backend/api/client_address.py).
        proxy_headers=False,
        ws_max_size=settings.max_ws_message_bytes,
        ws_ping_interval=settings.ws_heartbeat_seconds,
        ws_ping_timeout=settings.ws_heartbeat_seconds,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        log_config=config,
    )
    return 0
