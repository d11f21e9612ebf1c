"""Where media goes: WHIP/WHEP URL templates, from settings and the CLI to clients and the page."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest

import onair_cli
from backend.settings import IceServer, Settings
from tests.backend.api_helpers import Listener, register
from tests.servers import LiveServer, running_server
from wire.events import WebRTC

MEDIA = "https://media.example.com:8443"


def test_templates_must_name_the_stream_and_be_a_path_or_an_http_url() -> None:
    assert Settings().whip_url("alice~a b/c") == "/whip/alice~a%20b%2Fc"
    external = Settings(whep_url_template=f"{MEDIA}/{{stream}}/whep")
    assert external.whep_url("bob") == f"{MEDIA}/bob/whep"
    assert external.media_origins == (MEDIA,)
    assert Settings().media_origins == ()
    for bad in ("/whep/live", "ftp://h/{stream}", "//h/{stream}", "https://a;b@h/{stream}", "x"):
        with pytest.raises(ValueError):
            Settings(whep_url_template=bad)


def test_templates_survive_the_trip_to_worker_processes() -> None:
    settings = Settings(whip_url_template=f"{MEDIA}/{{stream}}/whip")
    assert Settings.from_json(settings.to_json()) == settings


def test_cli_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONAIR_WHEP_URL", f"{MEDIA}/{{stream}}/whep")
    args = onair_cli.build_parser().parse_args(
        ["serve", "--whip-url", f"{MEDIA}/{{stream}}/whip", "--cors-origin", "http://a.test"]
    )
    settings = onair_cli._settings_from(args)
    assert isinstance(settings, Settings)
    assert settings.whip_url_template == f"{MEDIA}/{{stream}}/whip"
    assert settings.whep_url_template == f"{MEDIA}/{{stream}}/whep"
    assert settings.cors_origins == ("http://a.test",)
    bad = onair_cli.build_parser().parse_args(["serve", "--whip-url", "/whip/alice"])
    with pytest.raises(SystemExit, match="must contain"):
        onair_cli._settings_from(bad)


async def test_the_default_is_this_backend(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
        config = await alice.data("GET", "/api/media/config")
        assert config == {"whip": "/whip/{stream}", "whep": "/whep/{stream}", "iceServers": []}
        state = await alice.data("GET", f"/api/streams/{alice.username}~x")
        assert state["whepUrl"] == f"/whep/{alice.username}~x"
        page = await client.get(f"/watch/{alice.username}")
        assert "connect-src 'self' ws: wss:;" in page.headers["content-security-policy"]
        assert (await client.get("/api/media/config")).status_code == 401


async def test_an_external_media_server_reaches_clients_and_the_page(settings: Settings) -> None:
    settings = settings.with_overrides(
        whip_url_template=f"{MEDIA}/{{stream}}/whip",
        whep_url_template=f"{MEDIA}/{{stream}}/whep",
    )
    with running_server(settings) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            guest = (await client.post("/api/auth/guest")).json()["data"]["token"]
            headers = {"Authorization": f"Bearer {guest}"}
            config = (await client.get("/api/media/config", headers=headers)).json()["data"]
            assert config["whep"] == f"{MEDIA}/{{stream}}/whep"
            alice = await register(client)
            state = (
                await client.get(f"/api/streams/{alice.username.upper()}", headers=headers)
            ).json()["data"]
            assert state["whepUrl"] == f"{MEDIA}/{alice.username}/whep"
            assert state["live"] is None  # the media server, not this backend, knows
            page = await client.get(f"/watch/{alice.username}")
            csp = page.headers["content-security-policy"]
            assert f"connect-src 'self' ws: wss: {MEDIA};" in csp


async def test_signaling_names_the_external_media_server(settings: Settings) -> None:
    settings = settings.with_overrides(
        whip_url_template=f"{MEDIA}/whip/{{stream}}?app=live",
        whep_url_template=f"{MEDIA}/{{stream}}/whep",
    )
    with running_server(settings) as server:
        async with httpx.AsyncClient(base_url=server.url) as client:
            alice = await register(client)
            started = await alice.data(
                "POST", "/api/webrtc/stream/start", json={"label": "cam", "visibility": "members"}
            )
            name = f"{alice.username}~cam"
            assert started["whipUrl"] == f"{MEDIA}/whip/{name}?app=live&visibility=members"
            assert started["whepUrl"] == f"{MEDIA}/{name}/whep"
            joined = await alice.data("GET", f"/api/webrtc/stream/{name}/join")
            assert joined["whepUrl"] == f"{MEDIA}/{name}/whep"
            assert joined["watchUrl"] == f"/watch/{name}"


async def test_an_ice_server_without_credentials_is_handed_out_without_them(
    settings: Settings,
) -> None:
    """Absent, not null: a browser's RTCPeerConnection takes the entries as they come."""
    stun = IceServer("stun:stun.example.com:3478")
    turn = IceServer("turn:turn.example.com:3478", username="onair", credential="fixed")
    with running_server(settings.with_overrides(ice_servers=(stun, turn))) as live:
        async with httpx.AsyncClient(base_url=live.url) as client:
            alice = await register(client)
            config = await alice.data("GET", "/api/media/config")
            started = await alice.data("POST", "/api/webrtc/stream/start", json={})
            joined = await alice.data("GET", f"/api/webrtc/stream/{alice.username}/join")
            async with Listener(live.ws_url, alice.token) as call:
                await call.send(WebRTC.JOIN_ROOM, {"roomId": "ice-check"})
                peers = (await call.wait_for(WebRTC.EXISTING_PEERS))["data"]
    handed_out = [
        {"urls": "stun:stun.example.com:3478"},
        {"urls": "turn:turn.example.com:3478", "username": "onair", "credential": "fixed"},
    ]
    for answer in (config, started, joined, peers):
        assert answer["iceServers"] == handed_out


def page_media(page: str) -> object:
    """The media settings the watch page carries for its video (js/boot.js reads them)."""
    match = re.search(r'<meta name="onair-media" content="([^"]*)">', page)
    assert match, page[:400]
    return json.loads(html.unescape(match[1]))


async def test_the_watch_page_says_where_its_video_plays(settings: Settings) -> None:
    """The video starts before the page asks anything (issue 23): the page names the WHEP
    template, and says to ask for the ICE servers only when there are any (their credentials
    are per viewer, so they are never in the page)."""
    turn = IceServer("turn:turn.example.com:3478", username="onair", credential="fixed")
    elsewhere = settings.with_overrides(
        whep_url_template=f"{MEDIA}/{{stream}}/whep", ice_servers=(turn,)
    )
    with running_server(settings) as plain, running_server(elsewhere) as external:
        async with httpx.AsyncClient() as client:
            here = await client.get(f"{plain.url}/watch/alice")
            there = await client.get(f"{external.url}/watch/alice")
            again = await client.get(
                f"{external.url}/watch/alice", headers={"If-None-Match": there.headers["etag"]}
            )
    assert page_media(here.text) == {"whep": "/whep/{stream}", "askIceServers": False}
    assert page_media(there.text) == {"whep": f"{MEDIA}/{{stream}}/whep", "askIceServers": True}
    assert "fixed" not in there.text
    assert here.headers["etag"] != there.headers["etag"]
    assert again.status_code == 304
