"""Real uvicorn servers on loopback for tests: started in a thread, stopped cleanly."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from backend.app import create_app
from backend.server import WS_IMPLEMENTATION
from backend.settings import Settings
from bench._processes import backend_subprocess as backend_subprocess
from bench._processes import free_port
from bench._processes import redis_server as redis_server  # the tests take it from here


def make_settings(db_path: Path, **overrides: Any) -> Settings:
    """Settings for a test backend: a fixed secret, a free port, limits out of the way."""
    defaults: dict[str, Any] = {
        "jwt_secret": "test-secret-" + "x" * 32,
        "port": 0,
        "allow_topup": True,
        "rate_per_second": 1000.0,
        "rate_burst": 5000,
        "ws_messages_per_second": 200.0,
    }
    return Settings(db_path=db_path, **{**defaults, **overrides})


@dataclass
class LiveServer:
    app: FastAPI
    settings: Settings
    url: str

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/ws"


@contextmanager
def running_server(settings: Settings) -> Iterator[LiveServer]:
    port = settings.port if settings.port else free_port()
    settings = settings.with_overrides(host="127.0.0.1", port=port)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws=WS_IMPLEMENTATION,
        log_level="warning",
        ws_max_size=settings.max_ws_message_bytes,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(app=app, settings=settings, url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=20)
