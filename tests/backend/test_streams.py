"""GET /api/streams/{stream}, the viewer-count room and the viewer page's static files."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

import backend
from backend.api import web
from backend.storage.db import iso, utc_now
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.servers import LiveServer


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        yield http


async def guest(client: httpx.AsyncClient) -> ApiUser:
    data = (await client.post("/api/auth/guest")).json()["data"]
    return ApiUser(client, data["user"]["id"], data["user"]["username"], data["token"])


async def test_a_quiet_stream_is_its_streamer(client: httpx.AsyncClient) -> None:
    alice = await register(client)
    viewer = await guest(client)
    state = await viewer.data("GET", f"/api/streams/{alice.username.upper()}~travel")
    assert state["stream"] == f"{alice.username}~travel"  # the owner as registered
    assert state["streamer"] == {
        "id": alice.id,
        "username": alice.username,
        "displayName": alice.username,
    }
    assert state["live"] is False
    assert state["battle"] is None and state["multihost"] is None
    assert state["viewerCount"] == 0
    assert state["serverTime"].endswith("Z")


async def test_unknown_streams_and_missing_tokens_are_refused(client: httpx.AsyncClient) -> None:
    viewer = await guest(client)
    response = await viewer.call("GET", "/api/streams/nobody")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "stream_not_found"
    assert (await client.get("/api/streams/nobody")).status_code == 401


async def test_an_active_battle_then_its_result_for_a_minute(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    alice, bob = await register(client), await register(client)
    fan = await register(client, coins=100)
    battle = await alice.data("POST", "/api/pk-battles", json={"opponent": bob.id, "duration": 2})
    pending = await (await guest(client)).data("GET", f"/api/streams/{bob.username}")
    assert pending["battle"] is None  # an invitation is private to the two hosts
    await bob.data("POST", f"/api/pk-battles/{battle['id']}/accept")
    await fan.data(
        "POST",
        f"/api/pk-battles/{battle['id']}/gift",
        json={"giftId": "heart", "quantity": 2, "toHost": bob.id},
    )
    state = await fan.data("GET", f"/api/streams/{bob.username}")
    assert state["battle"]["id"] == battle["id"]
    assert state["battle"]["status"] == "active"
    assert state["battle"]["scores"] == {"host1": 0, "host2": 10}
    assert state["battle"]["topSupporters"]["host2"][0]["username"] == fan.username
    assert state["battle"]["endsAt"] and state["battle"]["serverTime"]

    services = server.app.state.services
    services.pk.end_battle(battle["id"])
    ended = (await fan.data("GET", f"/api/streams/{alice.username}"))["battle"]
    assert ended["status"] == "ended" and ended["winner"] == bob.id
    services.db.execute(
        "UPDATE pk_battles SET endedAt = ? WHERE id = ?",
        (iso(utc_now() - timedelta(minutes=2)), battle["id"]),
    )
    assert (await fan.data("GET", f"/api/streams/{alice.username}"))["battle"] is None


async def test_a_live_cohost_session_with_its_layout(client: httpx.AsyncClient) -> None:
    alice, bob = await register(client), await register(client)
    session = await alice.data(
        "POST", "/api/multihost", json={"title": "Panel", "type": "panel", "layout": "spotlight"}
    )
    viewer = await guest(client)
    assert (await viewer.data("GET", f"/api/streams/{bob.username}"))["multihost"] is None
    await alice.data("POST", f"/api/multihost/{session['id']}/start")
    await alice.data("POST", f"/api/multihost/{session['id']}/invite", json={"userId": bob.id})
    await bob.data("POST", f"/api/multihost/{session['id']}/accept")
    state = await viewer.data("GET", f"/api/streams/{bob.username}")
    cohost = state["multihost"]
    assert cohost["id"] == session["id"]
    assert [h["username"] for h in cohost["hosts"]] == [alice.username, bob.username]
    assert cohost["layout"]["mode"] == "spotlight"
    assert cohost["layout"]["order"] == [alice.id, bob.id]
    await alice.data("POST", f"/api/multihost/{session['id']}/end")
    assert (await viewer.data("GET", f"/api/streams/{bob.username}"))["multihost"] is None


async def test_a_live_shop_with_its_pinned_product(client: httpx.AsyncClient) -> None:
    seller = await register(client)
    product = await seller.data(
        "POST", "/api/products", json={"name": "Lamp", "price": 100, "stock": 3}
    )
    session = await seller.data("POST", "/api/live-shopping", json={"title": "Shop"})
    base = f"/api/live-shopping/{session['id']}"
    viewer = await guest(client)
    await seller.data("POST", f"{base}/start")
    flash = {"price": 60, "quantity": 2, "expiresIn": 60_000}
    await seller.data(
        "POST", f"{base}/products", json={"productId": product["id"], "flashSale": flash}
    )
    assert (await viewer.data("GET", f"/api/streams/{seller.username}"))["shopping"][
        "pinnedProduct"
    ] is None
    await seller.data("POST", f"{base}/products/pin", json={"productId": product["id"]})
    shop = (await viewer.data("GET", f"/api/streams/{seller.username}"))["shopping"]
    assert shop["id"] == session["id"]
    pinned = shop["pinnedProduct"]
    assert pinned["name"] == "Lamp" and pinned["stock"] == 3 and not pinned["soldOut"]
    assert pinned["flashSale"]["status"] == "active" and pinned["flashSale"]["remaining"] == 2
    await seller.data("POST", f"{base}/end")
    assert (await viewer.data("GET", f"/api/streams/{seller.username}"))["shopping"] is None


async def test_viewer_count_room(server: LiveServer, client: httpx.AsyncClient) -> None:
    alice = await register(client)
    one, two = await guest(client), await guest(client)
    async with Listener(server.ws_url, one.token) as first:
        joined = await first.join(f"stream:{alice.username}")
        assert joined["event"] == "joined"
        await first.wait_for(lambda e: e["event"] == "stream:viewers" and e["data"]["viewers"] == 1)
        async with Listener(server.ws_url, two.token) as second:
            await second.join(f"stream:{alice.username}")
            await first.wait_for(
                lambda e: e["event"] == "stream:viewers" and e["data"]["viewers"] == 2
            )
            state = await one.data("GET", f"/api/streams/{alice.username}")
            assert state["viewerCount"] == 2
            refused = await second.join("stream:nobody")
            assert refused["event"] == "error" and refused["data"]["code"] == "forbidden_room"
        await first.wait_for(
            lambda e: (
                e["event"] == "stream:viewers"
                and e["data"] == {"stream": alice.username, "viewers": 1}
            )
        )


async def test_the_streamer_hears_the_count_without_being_counted(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    """The count also goes to the streamer's own user room: the studio follows it without
    joining the stream's room (which would count the studio as a viewer)."""
    alice = await register(client)
    viewer = await guest(client)
    async with Listener(server.ws_url, alice.token) as studio:
        async with Listener(server.ws_url, viewer.token) as page:
            await page.join(f"stream:{alice.username}")
            await studio.wait_for(
                lambda e: (
                    e["event"] == "stream:viewers"
                    and e["data"] == {"stream": alice.username, "viewers": 1}
                )
            )
        await studio.wait_for(
            lambda e: e["event"] == "stream:viewers" and e["data"]["viewers"] == 0
        )
    state = await alice.data("GET", f"/api/streams/{alice.username}")
    assert state["viewerCount"] == 0


async def test_a_crowd_arriving_at_once_costs_few_broadcasts(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    alice = await register(client)
    viewers = [await guest(client) for _ in range(8)]
    async with Listener(server.ws_url, viewers[0].token) as first:
        await first.join(f"stream:{alice.username}")
        crowd = [Listener(server.ws_url, v.token) for v in viewers[1:]]
        for listener in crowd:
            await listener.__aenter__()
        try:
            await asyncio.gather(*(c.join(f"stream:{alice.username}") for c in crowd))
            await first.wait_for(
                lambda e: e["event"] == "stream:viewers" and e["data"]["viewers"] == 8
            )
        finally:
            for listener in crowd:
                await listener.__aexit__(None, None, None)
        assert len(first.named("stream:viewers")) <= 4


async def test_the_watch_page_and_its_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/watch/anyone")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert '<script type="module" src="/web/js/boot.js">' in page.text

    script = await client.get("/web/js/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/web/css/watch.css")).headers["content-type"].startswith("text/css")
    for bad in ("/web/../app.py", "/web/%2e%2e/app.py", "/web/watch.html", "/web/js/none.js"):
        response = await client.get(bad)
        assert response.status_code == 404, bad
        assert json.loads(response.text)["success"] is False


async def test_the_watch_page_runs_its_first_script_inline_allowed_by_its_hash_alone(
    client: httpx.AsyncClient,
) -> None:
    """js/early.js comes in the page (a fetch of its own waited ~100 ms behind the page's other
    files, issue 23); the page's CSP lets that exact text run and no other inline script."""
    early = (Path(backend.__file__).parent / "web" / "js" / "early.js").read_text()
    assert "</script" not in early.lower()  # it would end the element early
    page = await client.get("/watch/anyone")
    assert f"<script>{early}</script>" in page.text
    script_src = re.search(r"script-src ([^;]*);", page.headers["content-security-policy"])
    assert script_src is not None
    digest = base64.b64encode(hashlib.sha256(early.encode()).digest()).decode()
    assert script_src[1].split() == ["'self'", f"'sha256-{digest}'"]
    home = await client.get("/")
    assert "script-src 'self';" in home.headers["content-security-policy"]


async def test_the_pages_files_are_asked_again_by_etag_and_whole_when_changed(
    client: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read at once from memory (not streamed through a worker thread), still answered 304
    while unchanged; the same for the small assets (gift icons)."""
    monkeypatch.setattr(web, "WEB_DIR", tmp_path)
    (tmp_path / "js").mkdir()
    module = tmp_path / "js" / "x.js"
    module.write_text("export const x = 1;\n")
    first = await client.get("/web/js/x.js")
    assert first.text == "export const x = 1;\n"
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    again = await client.get("/web/js/x.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    module.write_text("export const x = 22;\n")
    changed = await client.get("/web/js/x.js", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.text == "export const x = 22;\n"

    icon = await client.get("/assets/gifts/rose.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    assert (
        icon.content
        == (Path(backend.__file__).parent.parent / "assets/gifts/rose.svg").read_bytes()
    )
    cached = await client.get(
        "/assets/gifts/rose.svg", headers={"If-None-Match": icon.headers["etag"]}
    )
    assert cached.status_code == 304
    head = await client.head("/assets/gifts/rose.svg")
    assert head.status_code == 200 and head.content == b""
    assert (await client.get("/assets/gifts/none.svg")).status_code == 404
    assert (await client.get("/assets/gifts")).status_code == 404


def imported_modules(module: str, folder: Path, seen: set[str] | None = None) -> set[str]:
    """Every module ``module`` imports, directly or through others (relative imports)."""
    seen = set() if seen is None else seen
    text = (folder / module).read_text(encoding="utf-8")
    for name in re.findall(r'from "\./([\w-]+\.js)"', text):
        if name not in seen:
            seen.add(name)
            imported_modules(name, folder, seen)
    return seen


async def test_the_watch_page_preloads_every_module_its_script_imports(
    client: httpx.AsyncClient,
) -> None:
    """The modules the video needs are asked for at once, not one level of imports after
    another (the first frame waits for them): a module added to them must be preloaded too.
    The rest of the page's (js/app.js loads them) are not: they would take the browser's
    connections to the server before the video's token and offer (issue 23)."""
    page = (await client.get("/watch/anyone")).text
    scripts = re.findall(r'<script type="module" src="/web/js/([\w-]+\.js)">', page)
    preloaded = re.findall(r'<link rel="modulepreload" href="/web/js/([\w-]+\.js)">', page)
    folder = Path(backend.__file__).parent / "web" / "js"
    assert scripts == ["boot.js"]
    assert sorted(preloaded) == sorted(imported_modules("boot.js", folder))
    for name in preloaded:
        assert (await client.get(f"/web/js/{name}")).status_code == 200
