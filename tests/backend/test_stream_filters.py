"""Stream-filters catalog end to end: a real server, a real SQLite file, real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.services.stream_filters.catalog import Synced
from filters import registry
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.servers import LiveServer
from wire.events import StreamFilters, stream_room

BASE = "/api/stream-filters"
FREE = "beauty.smooth"  # free, curated, one 0..100 % parameter "amount"
PREMIUM = "color.cinematic"  # premium (50 coins in code), curated
PREMIUM2 = "ar.particles"


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


def price(filter_id: str) -> int:
    return int(registry.get(filter_id).price_coins)


async def error(user: ApiUser, method: str, path: str, status: int, **kwargs: Any) -> dict:
    """The error of a call that must fail with ``status``."""
    response = await user.call(method, path, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    return dict(body["error"])


async def test_catalog_is_the_registry_and_browses_by_category_search_featured(
    client: httpx.AsyncClient,
) -> None:
    user = await register(client)
    guest = await client.post("/api/auth/guest")
    guest_headers = {"Authorization": f"Bearer {guest.json()['data']['token']}"}

    listed = await user.data("GET", BASE)
    described = {d["id"]: d for d in registry.describe_all()}
    assert [f["id"] for f in listed] == list(described)
    for item in listed:
        code = described[item["id"]]
        assert item["parameters"] == code["parameters"]
        assert (item["premium"], item["price"], item["category"]) == (
            code["premium"],
            code["price"],
            code["category"],
        )
        assert item["locked"] == item["premium"] and not item["unlocked"]
    assert all(10 <= f["price"] <= 500 for f in listed if f["premium"])
    # Guests may browse too.
    as_guest = await client.get(BASE, headers=guest_headers)
    assert as_guest.status_code == 200 and len(as_guest.json()["data"]) == len(listed)

    makeup = await user.data("GET", f"{BASE}?category=makeup")
    assert makeup and {f["category"] for f in makeup} == {"makeup"}
    assert await user.data("GET", f"{BASE}/category/makeup") == makeup
    assert (await error(user, "GET", f"{BASE}?category=glitter", 400))["code"] == "invalid_category"
    missing = await error(user, "GET", f"{BASE}/category/glitter", 404)
    assert missing["code"] == "category_not_found"

    by_name = await user.data("GET", f"{BASE}/search", params={"q": "green screen"})
    assert by_name[0]["id"] == "background.chroma_key"
    by_tag = await user.data("GET", f"{BASE}/search", params={"q": "Lipstick"})
    assert "makeup.lipstick" in [f["id"] for f in by_tag]
    by_description = await user.data("GET", f"{BASE}/search", params={"q": "spill"})
    assert [f["id"] for f in by_description] == ["background.chroma_key"]
    in_category = await user.data("GET", f"{BASE}/search", params={"q": "lut", "category": "ar"})
    assert in_category == []
    assert await user.data("GET", f"{BASE}/search", params={"q": "100%_no_match"}) == []
    assert (await error(user, "GET", f"{BASE}/search", 422))["code"] == "validation_error"
    blank = await error(user, "GET", f"{BASE}/search", 400, params={"q": "   "})
    assert blank["code"] == "invalid_query"

    featured = await user.data("GET", f"{BASE}/featured")
    assert featured and all(f["featured"] for f in featured)
    assert {FREE, PREMIUM} <= {f["id"] for f in featured}
    assert await user.data("GET", f"{BASE}/trending") == []
    detail = await user.data("GET", f"{BASE}/{FREE}")
    assert detail["id"] == FREE and detail["rating"] == {"average": None, "count": 0}
    assert (await error(user, "GET", f"{BASE}/no.such", 404))["code"] == "filter_not_found"
    assert (await client.get(BASE)).status_code == 401


async def test_apply_validates_parameters_and_tells_the_stream_room(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, other = await register(client), await register(client)
    guest = (await client.post("/api/auth/guest")).json()["data"]["token"]
    room = stream_room(host.username)
    async with (
        Listener(server.ws_url, guest) as viewer,
        Listener(server.ws_url, host.token) as studio,
    ):
        assert (await viewer.join(room))["event"] == "joined"
        applied = await host.data(
            "POST",
            f"{BASE}/{FREE}/apply",
            json={"streamId": host.username, "parameters": {"amount": 80}},
        )
        assert applied["streamId"] == host.username and applied["filterId"] == FREE
        assert applied["parameters"] == {"amount": 80.0}
        assert applied["user"]["id"] == host.id
        event = await viewer.wait_for(StreamFilters.APPLIED)
        assert event["data"] == applied
        # The streamer's own connections (their studio) hear it through their user room.
        assert (await studio.wait_for(StreamFilters.APPLIED))["data"]["id"] == applied["id"]

        # The user id and a labelled stream of the caller are theirs too; names are canonical.
        by_id = await host.data("POST", f"{BASE}/makeup.lipstick/apply", json={"streamId": host.id})
        assert by_id["streamId"] == host.username
        assert by_id["parameters"] == registry.validate("makeup.lipstick", {})
        await viewer.wait_for(lambda e: e["data"].get("id") == by_id["id"])
        labelled = await host.data(
            "POST",
            f"{BASE}/{FREE}/apply",
            json={"streamId": f"{host.username.upper()}~cam2", "parameters": {}},
        )
        assert labelled["streamId"] == f"{host.username}~cam2"

    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"parameters": {"amount": 150}}, 400, "invalid_parameter", "amount"),
        ({"parameters": {"amount": -1}}, 400, "invalid_parameter", "amount"),
        ({"parameters": {"amount": "lots"}}, 400, "invalid_parameter", "amount"),
        ({"parameters": {"sparkle": 3}}, 400, "invalid_parameter", "sparkle"),
        ({"parameters": {"amount": 10**400}}, 400, "invalid_parameter", "amount"),
        ({"streamId": other.username}, 403, "not_your_stream", ""),
        ({"streamId": other.id}, 403, "not_your_stream", ""),
        ({"streamId": "a b"}, 400, "invalid_stream", ""),
        ({"streamId": ""}, 422, "validation_error", "streamId"),
        ({"parameters": [1]}, 422, "validation_error", "parameters"),
        ({"usageCount": 9}, 422, "validation_error", "usageCount"),
    ]
    for change, status, code, named in cases:
        body = {"streamId": host.username, "parameters": {}, **change}
        problem = await error(host, "POST", f"{BASE}/{FREE}/apply", status, json=body)
        assert problem["code"] == code, (change, problem)
        assert named in problem["message"], (change, problem)
    no_streamid = await error(host, "POST", f"{BASE}/{FREE}/apply", 422, json={})
    assert "streamId" in no_streamid["message"]
    unknown = await error(host, "POST", f"{BASE}/no.such/apply", 404, json={"streamId": host.id})
    assert unknown["code"] == "filter_not_found"
    guest_user = ApiUser(client, "guest", "guest", guest)
    await error(guest_user, "POST", f"{BASE}/{FREE}/apply", 403, json={"streamId": "x"})

    # Trending counts the applies of the last seven days; refused applies do not count.
    await other.data("POST", f"{BASE}/makeup.lipstick/apply", json={"streamId": other.id})
    trending = await host.data("GET", f"{BASE}/trending")
    assert [(f["id"], f["recentUses"], f["recentUsers"]) for f in trending] == [
        ("makeup.lipstick", 2, 2),  # as many uses as the next, by more users
        (FREE, 2, 1),
    ]
    services = server.app.state.services
    services.db.execute(
        "UPDATE filter_applications SET createdAt = '2000-01-01T00:00:00.000Z'"
        " WHERE filterId = 'makeup.lipstick'"
    )
    trending = await host.data("GET", f"{BASE}/trending")
    assert [(f["id"], f["recentUses"]) for f in trending] == [(FREE, 2)]
    assert (await host.data("GET", f"{BASE}/{FREE}"))["usageCount"] == 2
    report = services.analytics.report().stream_filters
    assert report.uses == 4 and (report.top_filters or {})[FREE] == 2


async def test_premium_filter_is_locked_until_unlocked_once(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    cost = price(PREMIUM)
    rich, poor = await register(client, coins=cost + 5), await register(client, coins=cost - 1)
    locked = await error(
        rich, "POST", f"{BASE}/{PREMIUM}/apply", 403, json={"streamId": rich.username}
    )
    assert locked["code"] == "filter_locked" and str(cost) in locked["message"]

    refused = await error(poor, "POST", f"{BASE}/{PREMIUM}/unlock", 409)
    assert refused["code"] == "insufficient_funds"
    assert (await poor.data("GET", "/api/wallet"))["coins"] == cost - 1
    assert await poor.data("GET", f"{BASE}/user/unlocked") == []

    unlocked = await rich.data("POST", f"{BASE}/{PREMIUM}/unlock")
    assert unlocked["coins"] == cost and unlocked["balance"]["coins"] == 5
    assert unlocked["filter"]["unlocked"] and not unlocked["filter"]["locked"]
    assert unlocked["replayed"] is False
    again = await error(rich, "POST", f"{BASE}/{PREMIUM}/unlock", 409)
    assert again["code"] == "already_unlocked"
    free = await error(rich, "POST", f"{BASE}/{FREE}/unlock", 409)
    assert free["code"] == "filter_free"
    assert (await error(rich, "POST", f"{BASE}/no.such/unlock", 404))["code"] == "filter_not_found"

    applied = await rich.data(
        "POST",
        f"{BASE}/{PREMIUM}/apply",
        json={"streamId": rich.username, "parameters": {"intensity": 60}},
    )
    assert applied["filter"]["premium"] is True
    mine = await rich.data("GET", f"{BASE}/user/unlocked")
    assert [(f["id"], f["paid"]) for f in mine] == [(PREMIUM, cost)]
    assert (await rich.data("GET", f"{BASE}/{PREMIUM}"))["unlocked"] is True
    assert (await poor.data("GET", f"{BASE}/{PREMIUM}"))["locked"] is True
    assert (await rich.data("GET", "/api/wallet"))["coins"] == 5
    history = server.app.state.services.wallet.history(rich.id)
    assert [(h["coins"], h["kind"], h["refId"]) for h in history if h["kind"] != "topup"] == [
        (-cost, "filter:unlock", PREMIUM)
    ]
    report = server.app.state.services.analytics.report().stream_filters
    assert report.unlocks == 1 and report.unlock_revenue == cost


async def test_unlock_retries_with_one_key_debit_once(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    cost, cost2 = price(PREMIUM), price(PREMIUM2)
    user = await register(client, coins=cost + cost2)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    responses = await asyncio.gather(
        *(user.call("POST", f"{BASE}/{PREMIUM}/unlock", headers=key) for _ in range(6))
    )
    assert [r.status_code for r in responses] == [200] * 6
    assert sum(not r.json()["data"]["replayed"] for r in responses) == 1
    assert {r.json()["data"]["balance"]["coins"] for r in responses} == {cost2}

    # Different keys (or none) race for another filter: one unlock, the rest are refused.
    racing = await asyncio.gather(
        *(
            user.call("POST", f"{BASE}/{PREMIUM2}/unlock", headers={"Idempotency-Key": f"k{i}"})
            for i in range(4)
        ),
        user.call("POST", f"{BASE}/{PREMIUM2}/unlock"),
    )
    statuses = sorted(r.status_code for r in racing)
    assert statuses == [200, 409, 409, 409, 409]
    assert {r.json()["error"]["code"] for r in racing if r.status_code == 409} == {
        "already_unlocked"
    }
    wallet = server.app.state.services.wallet
    assert wallet.balance(user.id)["coins"] == 0
    assert wallet.balance(user.id) == wallet.ledger_balance(user.id)
    rows = server.app.state.services.db.all(
        "SELECT filterId, coins FROM filter_unlocks WHERE userId = ?", (user.id,)
    )
    assert sorted((r["filterId"], r["coins"]) for r in rows) == sorted(
        [(PREMIUM, cost), (PREMIUM2, cost2)]
    )
    long_key = {"Idempotency-Key": "k" * 200}
    await error(user, "POST", f"{BASE}/{PREMIUM}/unlock", 400, headers=long_key)


async def test_favorites_and_ratings(client: httpx.AsyncClient) -> None:
    users = [await register(client) for _ in range(3)]
    alice = users[0]
    for _ in range(2):  # adding is idempotent
        added = await alice.data("POST", f"{BASE}/{FREE}/favorite")
        assert added == {"filterId": FREE, "favorited": True, "favoriteCount": 1}
    await alice.data("POST", f"{BASE}/voice.robot/favorite")
    await users[1].data("POST", f"{BASE}/{FREE}/favorite")
    favorites = await alice.data("GET", f"{BASE}/user/favorites")
    assert [f["id"] for f in favorites] == ["voice.robot", FREE]
    assert favorites[1]["favorited"] and favorites[1]["favoriteCount"] == 2
    removed = await alice.data("DELETE", f"{BASE}/{FREE}/favorite")
    assert removed == {"filterId": FREE, "favorited": False, "favoriteCount": 1}
    assert (await alice.data("DELETE", f"{BASE}/{FREE}/favorite"))["favoriteCount"] == 1
    assert [f["id"] for f in await alice.data("GET", f"{BASE}/user/favorites")] == ["voice.robot"]
    await error(alice, "POST", f"{BASE}/no.such/favorite", 404)

    for user, stars in zip(users, (5, 4, 2), strict=True):
        await user.data("POST", f"{BASE}/makeup.blush/rate", json={"rating": stars})
    changed = await alice.data("POST", f"{BASE}/makeup.blush/rate", json={"rating": 3})
    assert changed["updated"] is True and changed["myRating"] == 3
    assert changed["rating"] == {"average": 3.0, "count": 3}
    detail = await alice.data("GET", f"{BASE}/makeup.blush")
    assert detail["rating"] == {"average": 3.0, "count": 3} and detail["myRating"] == 3
    # The highest rated filters join the curated ones in featured.
    featured = await alice.data("GET", f"{BASE}/featured?limit=50")
    assert "makeup.blush" in [f["id"] for f in featured]
    assert not next(f for f in featured if f["id"] == "makeup.blush")["featured"]

    for body, status in [
        ({"rating": 0}, 400),
        ({"rating": 6}, 400),
        ({"rating": "5"}, 422),
        ({"rating": 4.5}, 422),
        ({}, 422),
        ({"rating": 5, "average": 5}, 422),
    ]:
        await error(alice, "POST", f"{BASE}/makeup.blush/rate", status, json=body)
    await error(alice, "POST", f"{BASE}/no.such/rate", 404, json={"rating": 5})
    assert (await alice.data("GET", f"{BASE}/makeup.blush"))["rating"]["count"] == 3


async def test_custom_filters_validate_and_respect_privacy(client: httpx.AsyncClient) -> None:
    author, other = await register(client, coins=price(PREMIUM)), await register(client)
    chain = [
        {"id": FREE, "params": {"amount": 70}},
        {"id": "makeup.lipstick", "params": {"color": "#FF3366", "intensity": 40}},
        {"id": "overlay.sticker", "params": {"sticker": "star"}, "enabled": False},
    ]
    public = await author.data(
        "POST",
        f"{BASE}/custom",
        json={"name": " Date night ", "description": "soft", "public": True, "filters": chain},
    )
    assert public["name"] == "Date night" and public["public"] is True
    assert public["author"]["id"] == author.id
    assert public["preset"] == {
        "format": 1,
        "name": "Date night",
        "description": "soft",
        "filters": [
            {"id": FREE, "params": {"amount": 70.0}, "enabled": True},
            {
                "id": "makeup.lipstick",
                "params": {"color": "#ff3366", "intensity": 40.0},
                "enabled": True,
            },
            {"id": "overlay.sticker", "params": {"sticker": "star"}, "enabled": False},
        ],
    }
    from filters.presets import Preset

    assert Preset.from_dict(public["preset"]).to_dict() == public["preset"]

    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"filters": [{"id": "no.such"}]}, 400, "unknown_filter", "filters[0]"),
        (
            {"filters": [chain[0], {"id": FREE, "params": {"amount": 101}}]},
            400,
            "invalid_parameter",
            "filters[1] (beauty.smooth): amount",
        ),
        ({"filters": [{"id": PREMIUM}]}, 403, "filter_locked", PREMIUM),
        (
            {
                "public": True,
                "filters": [{"id": "overlay.sticker", "params": {"sticker": "/x.png"}}],
            },
            400,
            "file_not_shareable",
            "sticker",
        ),
        ({"filters": []}, 400, "invalid_filters", ""),
        ({"filters": [{"id": FREE}] * 21}, 400, "invalid_filters", ""),
        ({"name": "   "}, 400, "invalid_name", ""),
        ({"filters": [{"id": FREE, "parms": {}}]}, 422, "validation_error", "parms"),
        ({"owner": other.id}, 422, "validation_error", "owner"),
        ({"public": "yes please"}, 422, "validation_error", "public"),
    ]
    for change, status, code, named in cases:
        body = {"name": "x", "filters": [chain[0]], **change}
        problem = await error(author, "POST", f"{BASE}/custom", status, json=body)
        assert problem["code"] == code, (change, problem)
        assert named in problem["message"], (change, problem)

    # A premium filter in a custom filter needs its author to have unlocked it.
    await author.data("POST", f"{BASE}/{PREMIUM}/unlock")
    private = await author.data(
        "POST",
        f"{BASE}/custom",
        json={"name": "Mine", "filters": [{"id": PREMIUM, "params": {"intensity": 30}}]},
    )
    assert private["public"] is False and private["premiumFilterIds"] == [PREMIUM]
    assert private["lockedFilterIds"] == []

    market = await other.data("GET", f"{BASE}/custom")
    assert [c["id"] for c in market] == [public["id"]]
    mine = await author.data("GET", f"{BASE}/custom?scope=mine")
    assert [c["id"] for c in mine] == [private["id"], public["id"]]
    assert await other.data("GET", f"{BASE}/custom?scope=mine") == []
    await error(other, "GET", f"{BASE}/custom?scope=everything", 400)
    assert (await other.data("GET", f"{BASE}/custom/{public['id']}"))["id"] == public["id"]
    hidden = await error(other, "GET", f"{BASE}/custom/{private['id']}", 404)
    assert hidden["code"] == "custom_filter_not_found"
    await error(other, "DELETE", f"{BASE}/custom/{private['id']}", 404)
    assert (await error(other, "DELETE", f"{BASE}/custom/{public['id']}", 403))[
        "code"
    ] == "not_author"
    assert (await author.data("GET", f"{BASE}/custom/{private['id']}"))["lockedFilterIds"] == []
    await author.data("DELETE", f"{BASE}/custom/{public['id']}")
    assert await other.data("GET", f"{BASE}/custom") == []


async def test_seeding_follows_the_code_and_hides_removed_filters(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    user = await register(client)
    services = server.app.state.services
    db = services.db
    await user.data("POST", f"{BASE}/{FREE}/favorite")
    # A filter that was once in the code and a price edited by hand.
    db.execute(
        "INSERT INTO stream_filters (id, createdAt, updatedAt, name, category, version)"
        " VALUES ('beauty.retired', 'x', 'x', 'Retired', 'beauty', '0.1')"
    )
    db.execute(
        "INSERT INTO filter_favorites (id, createdAt, updatedAt, filterId, userId)"
        " VALUES ('f1', 'x', 'x', 'beauty.retired', ?)",
        (user.id,),
    )
    db.execute("UPDATE stream_filters SET price = 499, parameters = '[]' WHERE id = ?", (PREMIUM,))
    assert "beauty.retired" in [f["id"] for f in await user.data("GET", BASE)]

    assert services.stream_filters.catalog.sync() == Synced(updated=1, hidden=1)
    listed = {f["id"]: f for f in await user.data("GET", BASE)}
    assert "beauty.retired" not in listed
    assert listed[PREMIUM]["price"] == price(PREMIUM)
    assert listed[PREMIUM]["parameters"] == registry.get(PREMIUM).describe()["parameters"]
    await error(user, "POST", f"{BASE}/beauty.retired/apply", 404, json={"streamId": user.id})
    await error(user, "GET", f"{BASE}/beauty.retired", 404)
    assert [f["id"] for f in await user.data("GET", f"{BASE}/user/favorites")] == [FREE]
    assert db.scalar("SELECT available FROM stream_filters WHERE id = 'beauty.retired'") == 0
    assert db.scalar("SELECT COUNT(*) FROM filter_favorites WHERE id = 'f1'") == 1
    assert services.stream_filters.catalog.sync() == Synced()
    stored = db.one("SELECT parameters FROM stream_filters WHERE id = ?", (FREE,))
    assert stored is not None and json.loads(stored["parameters"])[0]["name"] == "amount"
