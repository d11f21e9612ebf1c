"""Real uvicorn servers on loopback for tests: started in a thread, stopped cleanly."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from websockets.exceptions import InvalidState

from backend.app import create_app
from backend.server import WS_IMPLEMENTATION
from backend.settings import Settings
from bench._processes import backend_subprocess as backend_subprocess
from bench._processes import free_port
from bench._processes import redis_server as redis_server  # the tests take it from here
from tests.engines import EngineChoice, SqliteTemplate


def make_settings(db_path: Path, **overrides: Any) -> Settings:
    """Settings for a test backend: a fixed secret, a free port, limits out of the way, and a
    fresh database (a PostgreSQL one, or on SQLite a copy of the migrated template at
    ``db_path`` unless a database is there already)."""
    defaults: dict[str, Any] = {
        "jwt_secret": "test-secret-" + "x" * 32,
        "port": 0,
        "allow_topup": True,
        "rate_per_second": 1000.0,
        "rate_burst": 5000,
        "ip_rate_per_second": 1000.0,
        "ip_rate_burst": 5000,
        "guest_tokens_per_minute": 60_000.0,
        "login_queue": 1000,  # tests register dozens of users at once
        "ws_messages_per_second": 200.0,
        # The suite registers thousands of throwaway accounts: the cheapest hash argon2 allows.
        "password_hash_passes": 1,
        "password_hash_memory_kib": 8,
    }
    if "database_url" not in overrides:
        defaults["database_url"] = EngineChoice.database_url()
    settings = Settings(db_path=db_path, **{**defaults, **overrides})
    if not settings.database_url:
        SqliteTemplate.copy_to(db_path)  # already migrated: the server opens it at once
    return settings


def database_args(settings: Settings) -> list[str]:
    """The command-line flags naming ``settings``' database (for `onair admin`, `onair serve`)."""
    url = ["--database-url", settings.database_url] if settings.database_url else []
    return ["--db", str(settings.db_path), *url]


@dataclass
class LiveServer:
    app: FastAPI
    settings: Settings
    url: str

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/ws"


class QuickStopServer(uvicorn.Server):
    """uvicorn's server without its fixed pauses on the way out: uvicorn notices ``should_exit``
    on a 0.1 s tick and sleeps 0.1 s after asking connections to close; a run stops hundreds of
    servers (0.19 s a stop against 0.07 s, and 0.02 s once woken). The steps are uvicorn's."""

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):  # the Date header, once a second
            counter = (counter + 1) % 864_000
            await self._next_tick()

    async def _next_tick(self) -> None:
        # A bare future and a timer, not wait_for(event.wait()): that starts a task every tick,
        # and tests that count the tasks left behind would catch one between two ticks.
        self._tick: asyncio.Future[None] = self._loop.create_future()
        timer = self._loop.call_later(0.1, self._wake_now)
        try:
            await self._tick
        finally:
            timer.cancel()

    def _wake_now(self) -> None:
        if not self._tick.done():
            self._tick.set_result(None)

    def stop(self) -> None:
        """From another thread: exit now rather than at the next tick."""
        self.should_exit = True
        if hasattr(self, "_tick"):
            self._loop.call_soon_threadsafe(self._wake_now)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            try:
                connection.shutdown()
            except InvalidState:
                # uvicorn's websockets-sansio protocol sends a close frame on a WebSocket whose
                # peer is closing it already (a browser page closed just before): the error
                # would end the server's thread before its lifespan shutdown; just hang up.
                connection.transport.close()
        while self.server_state.connections or self.server_state.tasks:
            await asyncio.sleep(0.005)
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


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
        proxy_headers=False,  # as `onair serve`: X-Forwarded-For only from a trusted proxy
        log_level="warning",
        ws_max_size=settings.max_ws_message_bytes,
        lifespan="on",
    )
    server = QuickStopServer(config)
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
        server.stop()
        thread.join(timeout=20)
