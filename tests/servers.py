"""Real uvicorn servers on loopback for tests: started in a thread, stopped cleanly."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from backend.app import create_app
from backend.server import WS_IMPLEMENTATION
from backend.settings import Settings


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


REPO = Path(__file__).resolve().parents[1]


def wait_until_healthy(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"backend at {url} did not become healthy in {timeout} s")


@contextmanager
def backend_subprocess(db: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`onair serve` in its own process (for kills, several workers, or a GIL of its own)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "onair_cli", "serve", "--port", str(port), "--db", str(db), *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


@contextmanager
def redis_server(data_dir: Path) -> Iterator[str]:
    """A real redis-server from Debian on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is missing: run `make bootstrap` (it installs it)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
