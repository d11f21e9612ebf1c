"""Co-host sessions end to end: a real server, a real SQLite file, real WebSocket clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from backend.settings import Settings
from backend.storage.db import iso, utc_now
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.servers import LiveServer, running_server


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


async def new_session(primary: ApiUser, **fields: object) -> dict:
    body = {"title": "Late night panel", "type": "panel", "layout": "grid", **fields}
    return await primary.data("POST", "/api/multihost", json=body)


async def add_cohost(session: dict, primary: ApiUser, user: ApiUser, manager: bool = False) -> dict:
    path = f"/api/multihost/{session['id']}"
    await primary.data("POST", f"{path}/invite", json={"userId": user.id, "canManage": manager})
    return await user.data("POST", f"{path}/accept")


def host_ids(session: dict) -> list[str]:
    return [h["userId"] for h in session["hosts"]]


async def test_session_lifecycle_with_events_for_hosts_and_viewers(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    alice, bob, carol, viewer = [await register(client) for _ in range(4)]
    async with (
        Listener(server.ws_url, alice.token) as ws_a,
        Listener(server.ws_url, bob.token) as ws_b,
        Listener(server.ws_url, viewer.token) as ws_v,
    ):
        session = await new_session(alice)
        sid, path = session["id"], f"/api/multihost/{session['id']}"
        assert session["status"] == "scheduled" and host_ids(session) == [alice.id]
        assert session["hosts"][0]["role"] == "primary" and session["topology"] == "mesh"
        # A scheduled session is private to its hosts and invitees.
        assert (await viewer.call("GET", path)).status_code == 404
        assert (await ws_v.join(f"multihost:{sid}"))["event"] == "error"

        await alice.data("POST", f"{path}/invite", json={"userId": bob.id, "message": "join?"})
        invited = await ws_b.wait_for("multihost:invited")
        assert invited["data"]["invitation"]["user"]["id"] == bob.id
        assert invited["data"]["session"]["title"] == "Late night panel"
        joined = await bob.data("POST", f"{path}/accept")
        assert host_ids(joined) == [alice.id, bob.id]
        event = await ws_a.wait_for("multihost:joined")
        assert event["data"]["host"]["userId"] == bob.id and event["data"]["topology"] == "mesh"
        layout = await ws_a.wait_for("multihost:layout-changed")
        assert layout["data"]["layout"]["order"] == [alice.id, bob.id]

        live = await alice.data("POST", f"{path}/start")
        assert live["status"] == "live" and live["startedAt"]
        await ws_b.wait_for("multihost:started")
        assert (await ws_v.join(f"multihost:{sid}"))["event"] == "joined"
        await ws_a.join(f"multihost:{sid}")

        request = await carol.data("POST", f"{path}/request", json={"message": "me too"})
        assert request["kind"] == "request" and request["status"] == "pending"
        asked = await ws_a.wait_for("multihost:join-requested")
        assert asked["data"]["request"]["user"]["id"] == carol.id
        assert (await alice.data("GET", path))["pending"]["requests"][0]["id"] == request["id"]
        assert (await viewer.data("GET", path))["pending"] is None
        approved = await alice.data("POST", f"{path}/approve", json={"userId": carol.id})
        assert host_ids(approved) == [alice.id, bob.id, carol.id]
        await ws_v.wait_for(
            lambda e: e["event"] == "multihost:joined" and e["data"]["host"]["userId"] == carol.id
        )

        spotlight = await alice.data(
            "PUT", f"{path}/layout", json={"mode": "spotlight", "mainHostId": carol.id}
        )
        assert spotlight["mainHostId"] == carol.id and spotlight["order"][0] == carol.id
        changed = await ws_v.wait_for(
            lambda e: (
                e["event"] == "multihost:layout-changed"
                and e["data"]["layout"]["mode"] == "spotlight"
            )
        )
        assert changed["data"]["layout"] == spotlight

        muted = await bob.data("PUT", f"{path}/settings", json={"audioEnabled": False})
        assert muted["audioEnabled"] is False and muted["userId"] == bob.id
        settings_event = await ws_v.wait_for("multihost:settings")
        assert settings_event["data"]["host"]["audioEnabled"] is False

        await carol.data("POST", f"{path}/leave")
        left = await ws_b.wait_for("multihost:left")
        assert left["data"] == {
            "sessionId": sid,
            "userId": carol.id,
            "reason": "left",
            "by": carol.id,
            "hostCount": 2,
            "topology": "mesh",
        }
        refit = await ws_v.wait_for(
            lambda e: (
                e["event"] == "multihost:layout-changed"
                and carol.id not in e["data"]["layout"]["order"]
            )
        )
        assert refit["data"]["layout"]["mainHostId"] == alice.id

        ended = await alice.data("POST", f"{path}/leave")
        assert ended["status"] == "ended" and ended["endReason"] == "primary-left"
        for ws in (ws_b, ws_v):
            event = await ws.wait_for("multihost:ended")
            assert event["data"]["reason"] == "primary-left"
        await asyncio.sleep(0.1)
        assert len(ws_b.named("multihost:ended")) == 1

    history = await bob.data("GET", f"/api/multihost/user/{bob.id}")
    assert [s["id"] for s in history] == [sid]
    assert sid not in [s["id"] for s in await viewer.data("GET", "/api/multihost/active/list")]
    late = await bob.call("PUT", f"{path}/settings", json={"audioEnabled": True})
    assert late.status_code == 409 and late.json()["error"]["code"] == "session_ended"


async def test_roles_and_permissions(client: httpx.AsyncClient) -> None:
    alice, bob, mia, dan, outsider = [await register(client) for _ in range(5)]
    session = await new_session(alice)
    path = f"/api/multihost/{session['id']}"
    await add_cohost(session, alice, bob)
    await add_cohost(session, alice, mia, manager=True)
    before = await alice.data("GET", path)

    async def status(user: ApiUser, method: str, url: str, body: dict | None = None) -> int:
        return (await user.call(method, url, json=body)).status_code

    # A plain co-host manages nothing but their own settings.
    assert await status(bob, "POST", f"{path}/invite", {"userId": dan.id}) == 403
    assert await status(bob, "DELETE", f"{path}/hosts/{mia.id}") == 403
    assert await status(bob, "PUT", f"{path}/layout", {"mode": "sidebar"}) == 403
    assert await status(bob, "PUT", f"{path}/settings", {"userId": mia.id, "volume": 1}) == 403
    assert await status(bob, "POST", f"{path}/start") == 403
    assert await status(bob, "POST", f"{path}/end") == 403
    # A scheduled session does not exist for outsiders.
    assert await status(outsider, "GET", path) == 404
    assert await status(outsider, "POST", f"{path}/invite", {"userId": dan.id}) == 404
    assert await status(outsider, "POST", f"{path}/request") == 404
    # A manager may mute another host but not turn them back on, nor grant rights.
    muted = await mia.data(
        "PUT", f"{path}/settings", json={"userId": bob.id, "videoEnabled": False}
    )
    assert muted["videoEnabled"] is False
    unmute = await mia.call(
        "PUT", f"{path}/settings", json={"userId": bob.id, "videoEnabled": True}
    )
    assert unmute.json()["error"]["code"] == "own_settings_only"
    grant = await mia.call("PUT", f"{path}/settings", json={"userId": bob.id, "canManage": True})
    assert grant.status_code == 403
    assert await status(mia, "POST", f"{path}/invite", {"userId": dan.id, "canManage": True}) == 403
    # Nobody removes the primary; only the primary removes a manager.
    assert await status(mia, "DELETE", f"{path}/hosts/{alice.id}") == 403
    assert await status(alice, "DELETE", f"{path}/hosts/{alice.id}") == 400
    assert await status(mia, "DELETE", f"{path}/hosts/{outsider.id}") == 404
    after = await alice.data("GET", path)
    assert host_ids(after) == host_ids(before) and after["layout"] == before["layout"]

    await alice.data("POST", f"{path}/start")
    # Live sessions are public, but viewers still manage nothing.
    assert await status(outsider, "GET", path) == 200
    assert await status(outsider, "PUT", f"{path}/layout", {"mode": "pip"}) == 403
    assert await status(outsider, "PUT", f"{path}/settings", {"audioEnabled": False}) == 403
    assert await status(outsider, "POST", f"{path}/leave") == 403
    assert await status(outsider, "POST", f"{path}/accept") == 409
    removed = await mia.data("DELETE", f"{path}/hosts/{bob.id}")
    assert bob.id not in host_ids(removed)
    again = await bob.call("POST", f"{path}/request")
    assert again.status_code == 403 and again.json()["error"]["code"] == "removed"
    granted = await alice.data(
        "PUT", f"{path}/settings", json={"userId": mia.id, "canManage": False}
    )
    assert granted["canManage"] is False
    assert await status(mia, "PUT", f"{path}/layout", {"mode": "sidebar"}) == 403
    # One open session per host.
    busy = await mia.call("POST", "/api/multihost", json={"title": "x", "type": "gaming"})
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "host_busy"
    guest = (await client.post("/api/auth/guest")).json()["data"]["token"]
    as_guest = await client.get(path, headers={"Authorization": f"Bearer {guest}"})
    assert as_guest.status_code == 200
    guest_request = await client.post(
        f"{path}/request", headers={"Authorization": f"Bearer {guest}"}
    )
    assert guest_request.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"type": "karaoke"}, 400, "invalid_type"),
        ({"layout": "mosaic"}, 400, "invalid_layout"),
        ({"layout": "spotlight", "grid": "2x2"}, 400, "invalid_grid"),
        ({"grid": "4x4"}, 400, "invalid_grid"),
        ({"maxHosts": 10}, 400, "invalid_max_hosts"),
        ({"title": "   "}, 422, "validation_error"),
        ({"status": "live"}, 422, "validation_error"),
        ({"hosts": []}, 422, "validation_error"),
        ({"maxHosts": "many"}, 422, "validation_error"),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient, body: dict, status: int, code: str
) -> None:
    user = await register(client)
    response = await user.call(
        "POST", "/api/multihost", json={"title": "t", "type": "panel", **body}
    )
    assert response.status_code == status, response.text
    assert response.json() == {"success": False, "error": response.json()["error"]}
    assert response.json()["error"]["code"] == code


async def test_layout_and_settings_validation(client: httpx.AsyncClient) -> None:
    alice, bob = await register(client), await register(client)
    session = await new_session(alice)
    await add_cohost(session, alice, bob)
    path = f"/api/multihost/{session['id']}"
    cases: list[tuple[str, dict, int, str]] = [
        ("layout", {"mode": "grid", "mainHostId": bob.id}, 400, "invalid_main_host"),
        ("layout", {"mode": "spotlight", "mainHostId": "nobody"}, 400, "invalid_main_host"),
        ("layout", {"order": [alice.id]}, 400, "invalid_order"),
        ("layout", {"order": [alice.id, bob.id, bob.id]}, 400, "invalid_order"),
        (
            "layout",
            {
                "mode": "pip",
                "overlays": [{"userId": bob.id, "x": 0.9, "y": 0, "width": 0.2, "height": 0.2}],
            },
            400,
            "invalid_overlays",
        ),
        (
            "layout",
            {
                "mode": "grid",
                "overlays": [{"userId": bob.id, "x": 0, "y": 0, "width": 0.2, "height": 0.2}],
            },
            400,
            "invalid_overlays",
        ),
        (
            "layout",
            {
                "mode": "pip",
                "overlays": [{"userId": bob.id, "x": 2, "y": 0, "width": 0.2, "height": 0.2}],
            },
            422,
            "validation_error",
        ),
        ("layout", {"version": 7}, 422, "validation_error"),
        ("settings", {}, 400, "no_changes"),
        ("settings", {"volume": 101}, 422, "validation_error"),
        ("settings", {"role": "primary"}, 422, "validation_error"),
        ("settings", {"streamId": "a b"}, 422, "validation_error"),
        ("settings", {"canManage": True}, 400, "primary_role"),
        ("settings", {"userId": "nobody", "audioEnabled": False}, 404, "host_not_found"),
    ]
    for endpoint, body, status, code in cases:
        response = await alice.call("PUT", f"{path}/{endpoint}", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["code"] == code, body
    pip = await alice.data(
        "PUT",
        f"{path}/layout",
        json={
            "mode": "pip",
            "overlays": [{"userId": bob.id, "x": 0.05, "y": 0.7, "width": 0.25, "height": 0.25}],
        },
    )
    assert pip["mainHostId"] == alice.id
    assert pip["overlays"] == [
        {"userId": bob.id, "x": 0.05, "y": 0.7, "width": 0.25, "height": 0.25}
    ]
    stream = await bob.data("PUT", f"{path}/settings", json={"streamId": "bob-cam", "volume": 40})
    assert stream["streamId"] == "bob-cam" and stream["volume"] == 40
    garbage = await alice.call("PUT", f"{path}/layout", content=b"{not json")
    assert garbage.status_code == 422


async def test_ten_hosts_racing_for_nine_seats(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    primary = await register(client)
    session = await new_session(primary)
    path = f"/api/multihost/{session['id']}"
    guests = [await register(client) for _ in range(10)]
    for guest in guests:
        await primary.data("POST", f"{path}/invite", json={"userId": guest.id})
    responses = await asyncio.gather(*(g.call("POST", f"{path}/accept") for g in guests))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 8 + [409] * 2
    refused = [r.json()["error"] for r in responses if r.status_code == 409]
    assert {e["code"] for e in refused} == {"session_full"}
    assert "9 hosts" in refused[0]["message"]
    full = await primary.data("GET", path)
    assert full["hostCount"] == 9 and full["topology"] == "sfu"
    assert full["layout"]["grid"] == "3x3" and len(full["layout"]["order"]) == 9
    count = server.app.state.services.db.scalar(
        "SELECT COUNT(*) FROM multihost_hosts WHERE sessionId = ? AND status = 'active'",
        (session["id"],),
    )
    assert count == 9
    too_small = await primary.call("PUT", f"{path}/layout", json={"mode": "grid", "grid": "2x2"})
    assert too_small.json()["error"]["code"] == "grid_too_small"
    # Hosts leaving bring the topology back to mesh.
    joined = [g for g, r in zip(guests, responses, strict=True) if r.status_code == 200]
    for guest in joined[:5]:
        await guest.data("POST", f"{path}/leave")
    smaller = await primary.data("GET", path)
    assert smaller["hostCount"] == 4 and smaller["topology"] == "mesh"


async def test_invitation_expiry_and_request_decline(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    alice, bob, carol = [await register(client) for _ in range(3)]
    session = await new_session(alice)
    path = f"/api/multihost/{session['id']}"
    invitation = await alice.data("POST", f"{path}/invite", json={"userId": bob.id})
    duplicate = await alice.call("POST", f"{path}/invite", json={"userId": bob.id})
    assert duplicate.status_code == 409
    services = server.app.state.services
    async with (
        Listener(server.ws_url, alice.token) as ws_a,
        Listener(server.ws_url, bob.token) as ws_b,
    ):
        services.db.execute(
            "UPDATE deadlines SET dueAt = ? WHERE refId = ?", (iso(utc_now()), invitation["id"])
        )
        services.scheduler.run_due()
        for ws in (ws_a, ws_b):  # the invitee's prompt and the inviter's "waiting" both close
            expired = (await ws.wait_for("multihost:invitation-expired"))["data"]["invitation"]
            assert expired["id"] == invitation["id"] and expired["status"] == "expired"
    late = await bob.call("POST", f"{path}/accept")
    assert late.status_code == 404  # expired: the scheduled session is private again
    await alice.data("POST", f"{path}/start")
    late = await bob.call("POST", f"{path}/accept")
    assert late.status_code == 409 and late.json()["error"]["code"] == "no_invite"

    async with Listener(server.ws_url, carol.token) as ws_c:
        await carol.data("POST", f"{path}/request")
        declined = await alice.data(
            "POST", f"{path}/approve", json={"userId": carol.id, "approve": False}
        )
        assert host_ids(declined) == [alice.id]
        event = await ws_c.wait_for("multihost:request-declined")
        assert event["data"]["request"]["status"] == "declined"
    nothing = await alice.call("POST", f"{path}/approve", json={"userId": carol.id})
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "no_request"


async def test_dropped_connection_counts_as_left_after_grace(settings: Settings) -> None:
    with running_server(settings.with_overrides(multihost_grace_seconds=0.2)) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            alice, bob = await register(http), await register(http)
            session = await new_session(alice)
            sid = session["id"]
            await add_cohost(session, alice, bob)
            async with Listener(live.ws_url, alice.token) as ws_a:
                async with Listener(live.ws_url, bob.token) as ws_b:
                    assert (await ws_b.join(f"multihost:{sid}"))["event"] == "joined"
                # Bob's only connection is gone; after the grace period he has left.
                left = await ws_a.wait_for("multihost:left")
                assert left["data"]["userId"] == bob.id
                assert left["data"]["reason"] == "disconnected"
                # The primary host dropping ends the session.
                await ws_a.join(f"multihost:{sid}")
            async with Listener(live.ws_url, bob.token) as ws_b:
                for _ in range(200):
                    detail = await bob.data("GET", f"/api/multihost/{sid}")
                    if detail["status"] == "ended":
                        break
                    await asyncio.sleep(0.05)
                assert detail["endReason"] == "primary-disconnected"
                assert ws_b.named("multihost:ended") == []


async def test_reconnecting_within_grace_keeps_the_seat(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    alice, bob = await register(client), await register(client)
    session = await new_session(alice)
    sid = session["id"]
    await add_cohost(session, alice, bob)
    db = server.app.state.services.db
    pending = "SELECT COUNT(*) FROM deadlines WHERE kind = 'multihost:host-gone' AND refId = ?"
    ref = f"{sid}:{bob.id}"
    async with Listener(server.ws_url, bob.token) as first:
        await first.join(f"multihost:{sid}")
        async with Listener(server.ws_url, bob.token) as second:
            await second.join(f"multihost:{sid}")
        # Another connection of Bob's is still in the room: nothing is pending.
        await asyncio.sleep(0.1)
        assert db.scalar(pending, (ref,)) == 0
    for _ in range(100):
        if db.scalar(pending, (ref,)) == 1:
            break
        await asyncio.sleep(0.02)
    assert db.scalar(pending, (ref,)) == 1
    async with Listener(server.ws_url, bob.token) as back:
        await back.join(f"multihost:{sid}")
        assert db.scalar(pending, (ref,)) == 0
        assert bob.id in host_ids(await alice.data("GET", f"/api/multihost/{sid}"))
