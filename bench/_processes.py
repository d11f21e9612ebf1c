"""Local processes for benchmarks (and the tests, which import them from here): a free
loopback port, waiting for a backend to answer, `onair serve` in a process, a throwaway Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


REPO = Path(__file__).resolve().parents[1]


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
