"""Sign-in under attack (issue 21, finding 3): wrong passwords earn growing waits per account
(from any address) and per address (over any accounts), the owner's own address is not locked
out by strangers, and password hashing never takes more than its pool.

The clients' addresses are told by a trusted proxy (X-Forwarded-For from loopback), so one
test machine can be many addresses. How much a storm slows other users is measured in
``onair bench backend``, not asserted here.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.services.container import Services
from backend.settings import Settings
from tests.servers import LiveServer, make_settings, running_server

PASSWORD = "correct horse battery"
WRONG = "wrong horse battery"


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(
        tmp_path / "onair.sqlite3", trusted_proxies=("127.0.0.1",), login_free_failures=3
    )
    with running_server(settings) as live:
        yield live


def accounts(live: LiveServer, count: int) -> list[str]:
    """Accounts with PASSWORD, written directly (one hash for all: hashing is the slow part)."""
    services: Services = live.app.state.services
    names = [f"a{uuid.uuid4().hex[:10]}" for _ in range(count)]
    password_hash = services.auth.hasher.hash(PASSWORD)
    for name in names:
        services.db.insert(
            "users", {"username": name, "displayName": name, "passwordHash": password_hash}
        )
    return names


def login(http: httpx.Client, username: str, password: str, address: str) -> httpx.Response:
    return http.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )


async def wrong_at_once(live: LiveServer, usernames: list[str]) -> list[httpx.Response]:
    """A wrong password for each of ``usernames``, all sent at once, each from its own address."""
    async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
        return await asyncio.gather(
            *(
                http.post(
                    "/api/auth/login",
                    json={"username": name, "password": WRONG},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                )
                for n, name in enumerate(usernames)
            )
        )


def assert_held_back(answer: httpx.Response, seconds: int) -> None:
    assert answer.status_code == 429, answer.text
    error = answer.json()["error"]
    assert error["code"] == "too_many_attempts"
    assert error["message"] == f"Too many attempts, try again in {seconds} s."
    assert answer.headers["Retry-After"] == str(seconds)


def test_one_account_is_not_brute_forced_from_many_addresses(guarded: LiveServer) -> None:
    (victim,) = accounts(guarded, 1)
    home = "198.51.100.10"
    with httpx.Client(base_url=guarded.url) as http:
        assert login(http, victim, PASSWORD, home).status_code == 200
        for n in range(3):  # the free failures, each from another address
            assert login(http, victim, WRONG, f"203.0.113.{n}").status_code == 401
        assert_held_back(login(http, victim, WRONG, "203.0.113.50"), 1)
        # Held back even with the right password, from an address it never signed in from...
        assert_held_back(login(http, victim, PASSWORD, "203.0.113.51"), 1)
        # ...but its owner, at home, is not locked out by strangers.
        assert login(http, victim, PASSWORD, home).status_code == 200
        time.sleep(1.1)  # the wait passes; the next failure doubles it
        assert login(http, victim, WRONG, "203.0.113.60").status_code == 401
        assert_held_back(login(http, victim, WRONG, "203.0.113.61"), 2)


def test_one_address_cannot_guess_at_or_lock_out_many_accounts(guarded: LiveServer) -> None:
    names = accounts(guarded, 13)
    attacker = "203.0.113.99"
    allowance = 3 * 4  # an address gets four times an account's free failures
    with httpx.Client(base_url=guarded.url) as http:
        answers = [login(http, name, WRONG, attacker) for name in names]
        assert [a.status_code for a in answers] == [401] * allowance + [429]
        assert_held_back(answers[-1], 1)
        assert_held_back(login(http, names[0], PASSWORD, attacker), 1)  # even right ones
        for n, name in enumerate(names):  # one failure each: nobody is locked out
            assert login(http, name, PASSWORD, f"198.51.100.{n}").status_code == 200


async def test_a_burst_sent_at_once_gets_no_more_guesses(guarded: LiveServer) -> None:
    (victim,) = accounts(guarded, 1)
    answers = await wrong_at_once(guarded, [victim] * 10)
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [401] * 3 + [429] * 7  # the three free guesses, however they are sent


async def test_hashing_is_bounded_to_its_pool_and_the_rest_told_busy(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "onair.sqlite3",
        trusted_proxies=("127.0.0.1",),
        login_workers=1,
        login_queue=2,
        password_hash_passes=2,  # the real cost: hashes last long enough to queue up
        password_hash_memory_kib=19 * 1024,
    )
    with running_server(settings) as live:
        names = accounts(live, 30)
        pool = live.app.state.services.logins.pool
        answers = await wrong_at_once(live, names)
    busy = [a for a in answers if a.status_code == 503]
    assert busy, [a.status_code for a in answers]
    assert {a.status_code for a in answers} == {401, 503}
    assert {a.json()["error"]["code"] for a in busy} == {"busy"}
    assert {a.headers["Retry-After"] for a in busy} == {"1"}
    assert pool.peak_running == 1  # never more hashing at once than the pool's one worker
    assert pool.refused == len(busy)


@pytest.mark.one_engine
def test_passwords_are_hashed_at_owasps_cost_unless_told_otherwise(tmp_path: Path) -> None:
    real = Settings(db_path=tmp_path / "real.sqlite3", jwt_secret="x" * 40, port=0)
    with running_server(real) as live:
        hashed = live.app.state.services.auth.hasher.hash(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    with pytest.raises(ValueError, match="at least 1 pass over 8 KiB"):
        Settings(db_path=tmp_path / "cheap.sqlite3", password_hash_memory_kib=4)
