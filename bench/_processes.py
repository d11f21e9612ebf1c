"""Local processes for benchmarks (and the tests, which import them from here): a free
loopback port, waiting for a backend to answer, `onair serve` in a process, a throwaway Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"backend at {url} did not become healthy in {timeout} s")


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its descendants (uvicorn workers)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return own + sum(process_tree_cpu(int(child)) for child in children)


class CpuMeter:
    """CPU seconds the server (a process tree) and this client spend between start and stop."""

    def __init__(self, *server_pids: int) -> None:
        self.server_pids = server_pids
        self.server = self.client = 0.0

    def _servers(self) -> float:
        return sum(process_tree_cpu(pid) for pid in self.server_pids)

    def __enter__(self) -> CpuMeter:
        self._server0, self._client0 = self._servers(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.server = self._servers() - self._server0
        self.client = time.process_time() - self._client0

    def per(self, count: int, unit: str) -> str:
        return (
            f"CPU per {unit}: server {self.server / count * 1e6:,.0f} µs, "
            f"client {self.client / count * 1e6:,.0f} µs"
        )


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
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()  # reported, and not left behind to take the machine's CPU
                process.wait()
                raise


POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGRES_SUPERUSER = "onair"


def _postgres_os_user() -> str | None:
    """The account the cluster runs as: initdb refuses root, so a root caller (CI on a fresh
    Debian) hands the cluster to Debian's ``postgres`` account (the package creates it), else
    to ``nobody``; anyone else runs it as themselves (None)."""
    import os
    import pwd

    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root, but neither a `postgres` nor a `nobody` account exists")


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL 15 cluster from Debian's package (``initdb`` + ``pg_ctl``) in a
    fresh temp dir, on a free loopback port, trust authentication, C collation (ISO timestamps
    stored as TEXT compare byte by byte, as in SQLite), fsync off (a test cluster: nothing
    survives it anyway); yields the URL of its ``postgres`` database as superuser ``onair``.
    Stopped and removed afterwards. The folder is made under the system temp dir (not
    pytest's, which is private to root) so the ``postgres`` account can enter it."""
    import tempfile

    initdb, pg_ctl = POSTGRES_BIN / "initdb", POSTGRES_BIN / "pg_ctl"
    if not initdb.exists():
        raise RuntimeError("PostgreSQL 15 is missing: run `make bootstrap` (it installs it)")
    user = _postgres_os_user()
    with tempfile.TemporaryDirectory(prefix="onair-postgres-") as folder:
        data_dir = Path(folder)
        if user is not None:
            shutil.chown(data_dir, user)
        cluster = data_dir / "pgdata"
        run: dict[str, Any] = {"user": user, "check": True, "stdout": subprocess.DEVNULL}
        subprocess.run(
            [str(initdb), "-D", str(cluster), "-U", POSTGRES_SUPERUSER, "--auth=trust",
             "--no-locale", "-E", "UTF8", "--no-sync"],
            **run,
        )  # fmt: skip
        port = free_port()
        options = (
            f"-h 127.0.0.1 -p {port} -k {data_dir} -c fsync=off -c full_page_writes=off"
            " -c max_connections=300"
        )
        subprocess.run(
            [str(pg_ctl), "-D", str(cluster), "-o", options, "-l", str(data_dir / "log"),
             "-w", "start"],
            **run,
        )  # fmt: skip
        try:
            yield f"postgresql://{POSTGRES_SUPERUSER}@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [str(pg_ctl), "-D", str(cluster), "-m", "immediate", "-w", "stop"],
                **{**run, "check": False},
            )
