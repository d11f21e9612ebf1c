"""Start, SIGKILL and restart a backend process on loopback; read its database on the side
(its SQLite file, or its PostgreSQL database when the tests run on PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from backend.storage.engines import open_database
from tests.engines import EngineChoice
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Backend:
    db_path: Path
    port: int = field(default_factory=free_port)
    database_url: str = field(default_factory=EngineChoice.database_url)  # "" on SQLite
    redis_url: str = ""  # several nodes share events through it
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.faults.child",
                str(self.db_path),
                str(self.port),
                self.database_url,
                self.redis_url,
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the backend process exited while starting")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the backend process did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, whatever was in flight is cut off."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_kib(self) -> int:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        db = open_database(self.db_path, self.database_url)
        try:
            return db.all(sql, params)
        finally:
            db.close()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Write while the backend is down (e.g. bring a deadline closer)."""
        db = open_database(self.db_path, self.database_url)
        try:
            db.execute(sql, params)
        finally:
            db.close()


@contextmanager
def backend(db_path: Path) -> Iterator[Backend]:
    server = Backend(db_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
