"""A small world of users and objects to attack: every role and every kind of object.

Users are written straight into the database with a token from the server's own signer (no
password hashing: the tests need hundreds of them, cheaply); objects are made through the
API as a client would. ``digest`` fingerprints the whole database so a refused request can
be shown to have changed nothing.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import psycopg

from backend.services.container import Services
from backend.settings import Settings
from backend.storage.db import iso, utc_now
from tests.servers import LiveServer

ROLES = ("anon", "guest", "viewer", "owner", "opponent", "cohost", "buyer")
ACCOUNTS = ("viewer", "owner", "opponent", "cohost", "buyer")
VOUCHER = "SAVE10"


@dataclass(frozen=True)
class Actor:
    role: str
    id: str
    username: str
    token: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def make_user(services: Services, coins: int = 0, prefix: str = "u") -> tuple[str, str, str]:
    """(id, username, token) of a new account, written directly (no argon2 on the hot path)."""
    username = f"{prefix}{uuid.uuid4().hex[:10]}"
    row = services.db.insert(
        "users", {"username": username, "displayName": username, "passwordHash": "-"}
    )
    if coins:
        services.wallet.move(row["id"], coins, "test")
    return row["id"], username, services.auth.issue_token(row["id"], username)


@dataclass
class World:
    """Fresh users and objects. Public variants are live; private ones are not visible."""

    http: httpx.Client
    actors: dict[str, Actor]
    ids: dict[str, str] = field(default_factory=dict)

    def actor(self, role: str) -> Actor:
        return self.actors[role]

    def call(self, role: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.actor(role).headers, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def data(self, role: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(role, method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json()["data"]

    def private_ids(self) -> set[str]:
        """Ids nobody outside their owners may learn through the API."""
        keys = ("pending_battle", "draft_multihost", "draft_shop", "stash", "custom_filter")
        return {self.ids[k] for k in keys}


def build_world(server: LiveServer, http: httpx.Client) -> World:
    services: Services = server.app.state.services
    actors = {"anon": Actor("anon", "", "", None)}
    guest = http.post("/api/auth/guest").json()["data"]
    actors["guest"] = Actor("guest", guest["user"]["id"], "guest", guest["token"])
    for role in ACCOUNTS:
        actors[role] = Actor(role, *make_user(services, coins=5_000, prefix=role[:3]))
    world = World(http, actors)
    extra = {name: make_user(services, prefix=name[:3]) for name in ("rival", "rival2", "asker")}
    for name, (user_id, username, _) in extra.items():
        world.ids |= {f"{name}_id": user_id, f"{name}_name": username}

    opponent, cohost = actors["opponent"].id, actors["cohost"].id
    battle = world.data(
        "owner", "POST", "/api/pk-battles", json={"opponent": opponent, "duration": 5}
    )
    world.data("opponent", "POST", f"/api/pk-battles/{battle['id']}/accept")
    rival_token = extra["rival"][2]
    pending = http.post(
        "/api/pk-battles",
        json={"opponent": extra["rival2"][0], "duration": 5},
        headers={"Authorization": f"Bearer {rival_token}"},
    ).json()["data"]
    draft = http.post(
        "/api/multihost",
        json={"title": "Draft", "type": "panel"},
        headers={"Authorization": f"Bearer {rival_token}"},
    ).json()["data"]

    session = world.data("owner", "POST", "/api/multihost", json={"title": "Live", "type": "panel"})
    mh = f"/api/multihost/{session['id']}"
    world.data("owner", "POST", f"{mh}/start")
    world.data("owner", "POST", f"{mh}/invite", json={"userId": cohost})
    world.data("cohost", "POST", f"{mh}/accept")
    http.post(f"{mh}/request", json={}, headers={"Authorization": f"Bearer {extra['asker'][2]}"})

    product = world.data(
        "owner", "POST", "/api/products", json={"name": "Mug", "price": 100, "stock": 50}
    )
    stash = world.data(
        "owner", "POST", "/api/products", json={"name": "Stash", "price": 9, "stock": 5}
    )
    shop = world.data("owner", "POST", "/api/live-shopping", json={"title": "Shop"})
    draft_shop = world.data("owner", "POST", "/api/live-shopping", json={"title": "Later"})
    sp = f"/api/live-shopping/{shop['id']}"
    world.data("owner", "POST", f"{sp}/start")
    world.data("owner", "POST", f"{sp}/products", json={"productId": product["id"]})
    world.data(
        "owner",
        "POST",
        f"{sp}/vouchers",
        json={
            "code": VOUCHER,
            "type": "percent",
            "value": 10,
            "usageLimit": 100,
            "perUserLimit": 5,
        },
    )
    order = world.data("buyer", "POST", f"{sp}/orders", json={"productId": product["id"]})
    free, premium = (
        services.db.scalar(
            "SELECT id FROM stream_filters WHERE premium = ? AND available = 1 LIMIT 1", (flag,)
        )
        for flag in (0, 1)
    )
    custom = world.data(
        "owner",
        "POST",
        "/api/stream-filters/custom",
        json={"name": "My look", "filters": [{"id": free}]},
    )
    owner = world.actor("owner").username
    stream_key = world.data("owner", "POST", f"/api/streams/{owner}/keys", json={"label": "OBS"})
    world.ids |= {
        "stream_key": stream_key["id"],
        "free_filter": free,
        "premium_filter": premium,
        "custom_filter": custom["id"],
        "battle": battle["id"],
        "pending_battle": pending["id"],
        "multihost": session["id"],
        "draft_multihost": draft["id"],
        "shop": shop["id"],
        "draft_shop": draft_shop["id"],
        "product": product["id"],
        "stash": stash["id"],
        "order": order["id"],
    }
    settle(services)
    return world


def settle(services: Services) -> None:
    """Until the chat's gathered gift lines (from this world or a test before) are written, and
    with every deadline an hour away (invitations of earlier worlds expire minutes into a slow
    run): a later digest must see only what the request under test did."""
    while services.chat.system.waiting:
        time.sleep(0.02)
    services.db.execute("UPDATE deadlines SET dueAt = ?", (iso(utc_now() + timedelta(hours=1)),))


# Written by the node itself on a timer (its heartbeat, with several nodes), never by a request.
HEARTBEATS = frozenset({"media_nodes"})


def digest(settings: Settings) -> str:
    """A fingerprint of every row of every table but the heartbeats (committed state, read on
    the side, from the SQLite file or the PostgreSQL database the server uses)."""
    if settings.database_url:
        return _postgres_digest(settings.database_url)
    conn = sqlite3.connect(f"file:{settings.db_path}?mode=ro", uri=True)
    try:
        tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        return _fingerprint(
            (table, conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall())
            for (table,) in tables
            if table not in HEARTBEATS
        )
    finally:
        conn.close()


# One query for the whole database, on a connection kept for the server's database: a fresh
# connection and a query a table cost 80-240 ms a digest on a busy machine, this 2-9 ms.
EVERY_TABLE = """SELECT tablename,
       query_to_xml(format('SELECT * FROM %%I ORDER BY rowid', tablename), true, false, '')
FROM pg_tables WHERE schemaname = current_schema() AND tablename <> ALL(%s) ORDER BY tablename"""
_readers: dict[str, psycopg.Connection[Any]] = {}


def _postgres_digest(url: str) -> str:
    if url not in _readers:
        close_readers()  # the servers of the suite come one after the other
        _readers[url] = psycopg.connect(url, autocommit=True)  # each query sees what is committed
    rows = _readers[url].execute(EVERY_TABLE, (list(HEARTBEATS),)).fetchall()
    return _fingerprint((table, [contents]) for table, contents in rows)


def close_readers() -> None:
    """Close the connections ``digest`` keeps (before their server's database goes)."""
    for conn in _readers.values():
        conn.close()
    _readers.clear()


def _fingerprint(tables: Iterable[tuple[str, list[Any]]]) -> str:
    sha = hashlib.sha256()
    for table, rows in tables:
        sha.update(table.encode())
        for row in rows:
            sha.update(repr(row).encode())
    return sha.hexdigest()
