"""Running the backend: `onair serve` and the all-in-one `onair run`."""

from __future__ import annotations

import logging
import logging.config
import os

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
        f"  WebSocket  {base.replace('http', 'ws', 1)}/ws?token=...",
        f"  Database   {settings.db_path}",
    ]
    if settings.demo:
        lines.append("  Demo users alice, bob, carol, dave, viewer1, viewer2 — password onair-demo")
    return "\n".join(lines)


SETTINGS_ENV = "ONAIR_SETTINGS_JSON"


def app_from_environment() -> FastAPI:
    """The app factory each worker process calls (settings come from the parent)."""
    return create_app(Settings.from_json(os.environ[SETTINGS_ENV]))


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
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=settings.host,
        port=settings.port,
        ws=WS_IMPLEMENTATION,
        ws_max_size=settings.max_ws_message_bytes,
        ws_ping_interval=settings.ws_heartbeat_seconds,
        ws_ping_timeout=settings.ws_heartbeat_seconds,
        log_config=config,
    )
    return 0
