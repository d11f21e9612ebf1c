"""A full run leaves no secret in the server's log (issue 21, finding 1).

`onair serve` runs in its own process with its real logging (debug level, so every logger
speaks), a studio signs in, keeps its event link and publishes over WHIP, a signed-in viewer
and a guest watch in Chromium, and a careless client still puts its login token in a URL. Then
the log is read: no token, ticket or password that went over the wire may appear in it, and
the lines that would have carried them are there, redacted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from bench._processes import REPO, free_port, wait_until_healthy
from bench._ws import ws_ticket
from studio.core.api_client import ApiClient
from studio.core.events import EventClient
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import open_viewer
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(180)]

# `onair serve`, with ICE on loopback as the other media tests have it.
LAUNCHER = (
    "import sys; from rtc.loopback import use_loopback_for_ice; use_loopback_for_ice(); "
    "import onair_cli; sys.exit(onair_cli.main(sys.argv[1:]))"
)
PASSWORD = "correct horse battery"
UNREDACTED = re.compile(r"(?i)(token|ticket|key)=(?!\[redacted\])[^\s&\"']")


@contextmanager
def logged_backend(folder: Path) -> Iterator[tuple[str, Path]]:
    port, log = free_port(), folder / "server.log"
    command = [sys.executable, "-c", LAUNCHER, "serve", "--port", str(port)]
    command += ["--db", str(folder / "onair.sqlite3"), "--allow-topup"]
    env = {**os.environ, "ONAIR_LOG_LEVEL": "debug"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}")
            yield f"http://127.0.0.1:{port}", log
        finally:
            process.terminate()
            process.wait(timeout=20)


async def account(http: httpx.AsyncClient, secrets: list[str]) -> tuple[str, str]:
    username = f"u{uuid.uuid4().hex[:10]}"
    response = await http.post(
        "/api/auth/register", json={"username": username, "password": PASSWORD}
    )
    secrets.append(response.json()["data"]["token"])
    return username, secrets[-1]


async def test_a_full_run_logs_no_token(tmp_path: Path, chromium: Chromium) -> None:
    secrets: list[str] = [PASSWORD]
    with logged_backend(tmp_path) as (url, log):
        ws_url = url.replace("http", "ws", 1) + "/ws"
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            streamer, _ = await account(http, secrets)
            _, fan_token = await account(http, secrets)
            wrong = await http.post(
                "/api/auth/login", json={"username": streamer, "password": "wrong password"}
            )
            assert wrong.status_code == 401
            secrets.append(ws_ticket_secret := await ws_ticket(ws_url, fan_token))
            async with websockets.connect(f"{ws_url}?ticket={ws_ticket_secret}") as ws:
                assert '"hello"' in str(await ws.recv())
            # A client that still sends its login token in the URL is refused, and logged
            # without it.
            with pytest.raises(InvalidStatus):
                async with websockets.connect(f"{ws_url}?token={fan_token}"):
                    pass
            me = await http.get(f"/api/auth/me?token={fan_token}")
            assert me.status_code == 401

        studio = ApiClient(url)
        session = await studio.login(streamer, PASSWORD)
        secrets.append(session.token)
        events = EventClient(studio.ws_url, session.token)
        events.start()
        try:
            await events.wait_connected()
            async with (
                live_publisher(url, streamer, session.token, size=(320, 180)),
                chromium() as browser,
            ):
                fan = await open_viewer(browser, url, streamer, token=fan_token)
                guest = await open_viewer(browser, url, streamer)
                for viewer in (fan, guest):
                    await viewer.page.wait_for_function(
                        "() => document.querySelector('.tile')?.dataset.state === 'playing'",
                        timeout=20_000,
                    )
                await guest.page.locator("#viewer-count").get_by_text("2 watching").wait_for()
                guest_token = await guest.page.evaluate("sessionStorage.getItem('onair.guest')")
                assert guest_token
                secrets.append(guest_token)
        finally:
            await events.stop()
            await studio.aclose()
    text = log.read_text(errors="replace")

    leaked = [secret[:12] + "..." for secret in secrets if secret in text]
    assert leaked == [], f"secrets in the server log: {leaked}"
    assert "eyJ" not in text  # no JWT at all, ours or anyone's
    assert UNREDACTED.findall(text) == []
    # The lines that carried them were logged, redacted.
    assert "/ws?ticket=[redacted]" in text
    assert "/ws?token=[redacted]" in text
    assert "/api/auth/me?token=[redacted]" in text
    assert f"POST /whip/{streamer}" in text
