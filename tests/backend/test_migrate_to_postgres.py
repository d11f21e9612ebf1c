"""`onair admin migrate-to-postgres`: a demo SQLite database (with a battle's gifts and a
shop order on top) copied into PostgreSQL gives the same balances and ledgers, and a backend on
the copy serves the same accounts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from backend.services.demo import DEMO_PASSWORD
from backend.storage.db import Database
from backend.storage.postgres import PostgresDatabase
from onair_cli import main as onair
from tests.backend.api_helpers import ApiUser, register
from tests.backend.test_pk_battles import start_battle
from tests.engines import PostgresCluster
from tests.servers import make_settings, running_server

pytestmark = pytest.mark.one_engine  # from SQLite to PostgreSQL: both engines in one test

LEDGERS = "SELECT userId, coins, xp, kind, refId FROM ledger ORDER BY userId, createdAt, rowid"
BALANCES = "SELECT userId, coins, xp FROM wallets ORDER BY userId"


async def login(http: httpx.AsyncClient, username: str) -> ApiUser:
    answer = await http.post(
        "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    return ApiUser(http, data["user"]["id"], username, data["token"])


async def fill_demo_database(path: Path) -> None:
    settings = make_settings(path, demo=True, database_url="")
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            alice, bob = await login(http, "alice"), await login(http, "bob")
            viewer = await login(http, "viewer1")
            battle = await start_battle(alice, bob)
            for to_host in (alice.id, bob.id, alice.id):
                await viewer.data(
                    "POST",
                    f"/api/pk-battles/{battle['id']}/gift",
                    json={"giftId": "star", "quantity": 3, "toHost": to_host},
                )
            product = await alice.data(
                "POST", "/api/products", json={"name": "Mug", "price": 40, "stock": 5}
            )
            shop = await alice.data("POST", "/api/live-shopping", json={"title": "Sale"})
            await alice.data(
                "POST",
                f"/api/live-shopping/{shop['id']}/products",
                json={"productId": product["id"]},
            )
            await alice.data("POST", f"/api/live-shopping/{shop['id']}/start")
            await viewer.data(
                "POST",
                f"/api/live-shopping/{shop['id']}/orders",
                json={"productId": product["id"], "quantity": 2},
            )
            await register(http, coins=7)


async def test_a_demo_database_copies_with_the_same_balances_and_ledgers(
    tmp_path: Path, postgres_cluster: PostgresCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "demo.sqlite3"
    await fill_demo_database(source)
    target = postgres_cluster.fresh_database()

    assert onair(["admin", "migrate-to-postgres", "--from", str(source), "--to", target]) == 0
    assert "every total match" in capsys.readouterr().out

    sqlite, postgres = Database(source), PostgresDatabase(target)
    assert postgres.all(BALANCES) == sqlite.all(BALANCES)
    assert postgres.all(LEDGERS) == sqlite.all(LEDGERS)
    assert postgres.scalar("SELECT COUNT(*) FROM pk_gifts") == 3
    assert postgres.scalar("SELECT COUNT(*) FROM shopping_orders") == 1
    sqlite.close()
    postgres.close()

    # A backend on the copy: same accounts, same coins; a second copy into it is refused.
    with running_server(make_settings(tmp_path / "unused.sqlite3", database_url=target)) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            viewer = await login(http, "viewer1")
            wallet = await viewer.data("GET", "/api/wallet")
    assert wallet["coins"] == 5_000 - 3 * 3 * 10 - 80
    assert onair(["admin", "migrate-to-postgres", "--from", str(source), "--to", target]) == 1
    assert "already has users" in capsys.readouterr().out


def test_a_missing_source_or_a_wrong_url_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "none.sqlite3")
    assert (
        onair(["admin", "migrate-to-postgres", "--from", missing, "--to", "postgresql://x/y"]) == 1
    )
    assert "no SQLite database" in capsys.readouterr().out
    assert onair(["admin", "migrate-to-postgres", "--from", missing, "--to", "mysql://x/y"]) == 1
    assert "postgresql://" in capsys.readouterr().out
