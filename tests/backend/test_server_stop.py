"""`onair serve` stops when asked even while a client holds a request open (a deploy or a
`systemctl stop` must not wait for the slowest upload on the Internet)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from backend.server import GRACEFUL_SHUTDOWN_S
from tests.servers import backend_subprocess

pytestmark = pytest.mark.one_engine
HALF_A_REQUEST = (
    b"POST /api/auth/login HTTP/1.1\r\nHost: onair\r\nContent-Type: application/json\r\n"
    b'Content-Length: 100000\r\n\r\n{"username": '
)


def test_a_request_held_open_does_not_hold_the_server_s_stop(tmp_path: Path) -> None:
    with backend_subprocess(tmp_path / "onair.sqlite3") as (url, process):
        address = urlsplit(url)
        with socket.create_connection((address.hostname, address.port)) as slow:
            slow.sendall(HALF_A_REQUEST)  # ... and the rest of the body never comes
            time.sleep(0.5)
            asked = time.monotonic()
            process.terminate()
            process.wait(timeout=GRACEFUL_SHUTDOWN_S + 15)
            assert time.monotonic() - asked >= GRACEFUL_SHUTDOWN_S - 1  # it did wait a while
