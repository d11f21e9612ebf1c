"""SIGKILL in the middle of a gift storm, an order storm and a flash sale, then a restart:
every acknowledged gift and order is there, nothing is half-applied, balances are the ledger's
sums, stock adds up, and the battle and the flash sale still end at their deadlines."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from backend.storage.db import iso, utc_now
from tests.faults.process import Backend, backend
from tests.faults.storm import Attempt, retry_unanswered, storm

LANES, PER_LANE, KILL_AFTER = 10, 8, 25
Register = Callable[[str], tuple[str, str]]


def register_all(url: str, count: int, coins: int) -> list[tuple[str, str]]:
    """(id, token) of ``count`` new accounts with ``coins`` each."""
    users = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for n in range(count):
            answer = http.post(
                "/api/auth/register",
                json={"username": f"u{n}{time.monotonic_ns() % 10**9}", "password": "p" * 10},
            ).json()["data"]
            token = answer["token"]
            if coins:
                top = http.post(
                    "/api/wallet/topup",
                    json={"coins": coins},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert top.status_code == 200, top.text
            users.append((answer["user"]["id"], token))
    return users


def call(url: str, token: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(
        method, url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code < 300, response.text
    return response.json()["data"]


def soon() -> str:
    return iso(utc_now() + timedelta(seconds=1.5))


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def assert_wallets_are_ledger_sums(server: Backend) -> None:
    drift = server.query(
        "SELECT w.userId, w.coins, w.xp, SUM(l.coins) AS ledgerCoins, SUM(l.xp) AS ledgerXp"
        " FROM wallets w JOIN ledger l ON l.userId = w.userId GROUP BY w.userId"
        " HAVING w.coins != SUM(l.coins) OR w.xp != SUM(l.xp)"
    )
    assert drift == []
    orphans = server.query(
        "SELECT DISTINCT userId FROM ledger WHERE userId NOT IN (SELECT userId FROM wallets)"
    )
    assert orphans == []


def assert_every_acknowledgement_was_kept(server: Backend, acked: list[Attempt]) -> None:
    keys = {row["key"] for row in server.query("SELECT key FROM idempotency")}
    assert {attempt.key for attempt in acked} <= keys


def test_gift_storm_survives_sigkill_and_the_battle_still_ends(tmp_path: Path) -> None:
    with backend(tmp_path / "onair.sqlite3") as server:
        (host1, t1), (host2, t2) = register_all(server.url, 2, 0)
        gifters = register_all(server.url, LANES, 1000)
        battle = call(server.url, t1, "POST", "/api/pk-battles", {"opponent": host2, "duration": 5})
        call(server.url, t2, "POST", f"/api/pk-battles/{battle['id']}/accept")
        path = f"/api/pk-battles/{battle['id']}/gift"
        hosts = itertools.cycle((host1, host2))
        lanes = [
            [
                Attempt(
                    token, path, {"giftId": "star", "quantity": 1 + n % 3, "toHost": next(hosts)}
                )
                for n in range(PER_LANE)
            ]
            for _, token in gifters
        ]
        attempts = [a for lane in lanes for a in lane]
        asyncio.run(storm(server.url, lanes, KILL_AFTER, server.kill))
        acked = [a for a in attempts if a.applied]
        assert len(acked) >= KILL_AFTER and any(a.status is None for a in attempts)

        # While it is down, the battle's end comes closer (its deadline is in the database).
        ends = soon()
        server.execute("UPDATE pk_battles SET endsAt = ? WHERE id = ?", (ends, battle["id"]))
        server.execute("UPDATE deadlines SET dueAt = ? WHERE refId = ?", (ends, battle["id"]))
        server.start()
        assert_every_acknowledgement_was_kept(server, acked)
        assert_gifts_add_up(server, battle["id"])
        assert_wallets_are_ledger_sums(server)

        def ended() -> bool:
            return (
                call(server.url, t1, "GET", f"/api/pk-battles/{battle['id']}")["status"] == "ended"
            )

        wait_until(ended, "the battle to end at its deadline")
        asyncio.run(retry_unanswered(server.url, attempts))
        # Exactly once: a gift row for every attempt that finally succeeded (some were
        # committed before the kill and are replayed; the rest met the ended battle).
        gifts = server.query("SELECT COUNT(*) AS n FROM pk_gifts")[0]["n"]
        assert gifts == sum(a.applied for a in attempts)
        assert_gifts_add_up(server, battle["id"])
        assert_wallets_are_ledger_sums(server)
        result = server.query("SELECT * FROM pk_battles WHERE id = ?", (battle["id"],))[0]
        winner = host1 if result["host1Score"] > result["host2Score"] else host2
        assert result["winnerId"] == (None if result["isDraw"] else winner)
        rewards = server.query("SELECT userId FROM ledger WHERE kind = 'pk:reward'")
        assert sorted(r["userId"] for r in rewards) == sorted((host1, host2))


def assert_gifts_add_up(server: Backend, battle_id: str) -> None:
    battle = server.query("SELECT * FROM pk_battles WHERE id = ?", (battle_id,))[0]
    gifts = server.query(
        "SELECT toHostId, COUNT(*) AS n, SUM(coins) AS coins FROM pk_gifts GROUP BY toHostId"
    )
    by_host = {row["toHostId"]: row for row in gifts}
    for side in ("host1", "host2"):
        assert battle[f"{side}Score"] == by_host.get(battle[f"{side}Id"], {}).get("coins", 0)
    assert battle["giftCount"] == sum(row["n"] for row in gifts)
    moved = server.query(
        "SELECT kind, SUM(coins) AS coins, COUNT(*) AS n FROM ledger"
        " WHERE kind LIKE 'gift:%' GROUP BY kind"
    )
    sums = {row["kind"]: (row["coins"], row["n"]) for row in moved}
    total = sum(row["coins"] for row in gifts)
    count = battle["giftCount"]
    assert sums.get("gift:sent", (0, 0)) == (-total, count) if count else "gift:sent" not in sums
    assert sums.get("gift:received", (0, 0)) == (total, count) if count else True


def test_order_storm_and_flash_sale_survive_sigkill(tmp_path: Path) -> None:
    stock, flash = 30, 25
    with backend(tmp_path / "onair.sqlite3") as server:
        [(_, ts)] = register_all(server.url, 1, 0)
        buyers = register_all(server.url, LANES, 1000)
        product = call(
            server.url, ts, "POST", "/api/products", {"name": "Mug", "price": 20, "stock": stock}
        )
        shop = call(server.url, ts, "POST", "/api/live-shopping", {"title": "Mugs"})
        sp = f"/api/live-shopping/{shop['id']}"
        call(server.url, ts, "POST", f"{sp}/start")
        sale = {"price": 10, "quantity": flash, "expiresIn": 10 * 60_000}
        call(
            server.url,
            ts,
            "POST",
            f"{sp}/products",
            {"productId": product["id"], "flashSale": sale},
        )
        lanes = [
            [Attempt(token, f"{sp}/orders", {"productId": product["id"]}) for _ in range(PER_LANE)]
            for _, token in buyers
        ]
        attempts = [a for lane in lanes for a in lane]
        asyncio.run(storm(server.url, lanes, flash // 3, server.kill))
        acked = [a for a in attempts if a.applied]
        assert any(a.status is None for a in attempts)

        ends = soon()
        item = server.query("SELECT id FROM shopping_products")[0]["id"]
        server.execute("UPDATE shopping_products SET flashEndsAt = ? WHERE id = ?", (ends, item))
        server.execute("UPDATE deadlines SET dueAt = ? WHERE refId = ?", (ends, item))
        server.start()
        assert_every_acknowledgement_was_kept(server, acked)
        orders = {row["id"] for row in server.query("SELECT id FROM shopping_orders")}
        assert {a.data["id"] for a in acked} <= orders
        assert_stock_adds_up(server, stock, flash)
        assert_wallets_are_ledger_sums(server)

        def flash_over() -> bool:
            row = server.query("SELECT flashStatus, flashEndReason FROM shopping_products")[0]
            return row == {"flashStatus": "ended", "flashEndReason": "expired"}

        wait_until(flash_over, "the flash sale to end at its deadline")
        asyncio.run(retry_unanswered(server.url, attempts))
        placed = server.query("SELECT COUNT(*) AS n FROM shopping_orders")[0]["n"]
        assert placed == sum(a.applied for a in attempts)
        assert_stock_adds_up(server, stock, flash)
        assert_wallets_are_ledger_sums(server)
        refused = {a.data is None and a.status for a in attempts if not a.applied}
        assert refused <= {409}  # sold out, never oversold


def assert_stock_adds_up(server: Backend, stock: int, flash: int) -> None:
    sold = server.query(
        "SELECT COALESCE(SUM(quantity), 0) AS units, COALESCE(SUM(flashUnits), 0) AS flash,"
        " COALESCE(SUM(total), 0) AS paid, COUNT(*) AS n,"
        " COUNT(paymentRef) AS withPayment FROM shopping_orders"
    )[0]
    left = server.query("SELECT stock FROM products")[0]["stock"]
    item = server.query("SELECT flashRemaining FROM shopping_products")[0]
    assert left + sold["units"] == stock and left >= 0
    assert item["flashRemaining"] + sold["flash"] == flash
    assert sold["withPayment"] == sold["n"]
    payments = server.query(
        "SELECT COALESCE(-SUM(coins), 0) AS paid FROM ledger WHERE kind = 'shop:payment'"
    )[0]
    assert payments["paid"] == sold["paid"]
