"""Running the backend: `onair serve` and the all-in-one `onair run`."""

from __future__ import annotations

import logging
import os

import uvicorn

from backend.app import create_app
from backend.settings import Settings

WS_IMPLEMENTATION = "websockets-sansio"


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


def serve(settings: Settings) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings)
    print(banner(settings), flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        ws=WS_IMPLEMENTATION,
        ws_max_size=settings.max_ws_message_bytes,
        ws_ping_interval=settings.ws_heartbeat_seconds,
        ws_ping_timeout=settings.ws_heartbeat_seconds,
        log_level=os.environ.get("ONAIR_LOG_LEVEL", "info"),
    )
    return 0


def run_everything(settings: Settings) -> int:
    """`make run`: the backend with demo data; the studio joins once it exists."""
    return serve(settings.with_overrides(demo=True, allow_topup=True))
