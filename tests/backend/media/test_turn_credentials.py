"""Short-lived TURN credentials (coturn's ``use-auth-secret``), checked by a real coturn."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from aioice.stun import TransactionFailed
from aioice.turn import create_turn_endpoint

from backend.settings import IceServer, Settings, ice_servers_from_env, turn_credentials
from tests.backend.api_helpers import register
from tests.servers import free_port, running_server

SECRET = "shared-with-coturn-" + "k" * 24


@contextmanager
def coturn(data_dir: Path, secret: str) -> Iterator[int]:
    """A real coturn on a free loopback UDP port that accepts ``secret``-signed credentials."""
    binary = shutil.which("turnserver")
    if binary is None:
        raise RuntimeError("coturn is missing: run `make bootstrap` (it installs it)")
    port = free_port()
    relay_low = 49152 + port % 10000
    process = subprocess.Popen(
        [
            binary,
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            f"--min-port={relay_low}",
            f"--max-port={relay_low + 50}",
            "--use-auth-secret",
            f"--static-auth-secret={secret}",
            "--realm=onair.test",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",
            f"--userdb={data_dir / 'turndb'}",
            f"--pidfile={data_dir / 'turnserver.pid'}",
            f"--log-file={data_dir / 'turnserver.log'}",
            "--simple-log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        log = data_dir / "turnserver.log"
        while not (log.exists() and "Total General servers" in log.read_text(errors="replace")):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("coturn did not start")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


class _Ignore(asyncio.DatagramProtocol):
    pass


async def _allocate(port: int, username: str, password: str) -> tuple[str, int]:
    transport, _ = await create_turn_endpoint(
        _Ignore, ("127.0.0.1", port), username=username, password=password
    )
    try:
        relayed: tuple[str, int] = transport.get_extra_info("sockname")
        return relayed
    finally:
        transport.close()


def test_credentials_come_from_the_environment_with_an_expiry() -> None:
    env = {"TURN_SERVER_URL": "turn:turn.example.com:3478", "TURN_SECRET": SECRET}
    (server,) = ice_servers_from_env(env | {"TURN_CREDENTIAL_TTL": "600"})
    client = server.for_client("user-1", now=1_000_000)
    assert client["username"] == "1000600:user-1"
    assert client["credential"] == turn_credentials(SECRET, "user-1", 600, now=1_000_000)[1]
    assert "secret" not in client and SECRET not in str(client)
    static = IceServer("turn:t.example.com", "onair", "fixed")
    assert static.for_client("user-1") == {
        "urls": "turn:t.example.com",
        "username": "onair",
        "credential": "fixed",
    }


async def test_clients_get_fresh_credentials_that_coturn_accepts(
    settings: Settings, tmp_path: Path
) -> None:
    with coturn(tmp_path, SECRET) as port:
        turn = IceServer(f"turn:127.0.0.1:{port}", secret=SECRET, ttl_seconds=600)
        with running_server(settings.with_overrides(ice_servers=(turn,))) as live:
            async with httpx.AsyncClient(base_url=live.url) as client:
                alice = await register(client)
                config = await alice.data("GET", "/api/media/config")
                started = await alice.data("POST", "/api/webrtc/stream/start", json={})
        for handed_out in (config["iceServers"], started["iceServers"]):
            (server,) = handed_out
            expiry, _, user = server["username"].partition(":")
            assert user == alice.id and 590 <= int(expiry) - time.time() <= 600
            assert SECRET not in str(handed_out)
            host, relayed_port = await _allocate(port, server["username"], server["credential"])
            assert host == "127.0.0.1" and relayed_port > 0

        expired = turn_credentials(SECRET, alice.id, 600, now=time.time() - 3600)
        with pytest.raises(TransactionFailed):
            await _allocate(port, *expired)
        forged = (
            f"{int(time.time()) + 600}:{alice.id}",
            turn_credentials("wrong", alice.id, 600)[1],
        )
        with pytest.raises(TransactionFailed):
            await _allocate(port, *forged)
