"""Rate limits that fresh tokens and forged headers do not get around (issue 21, finding 4):
a budget per client address as well as per token, guest tokens minted at a limited pace,
X-Forwarded-For believed only from a trusted proxy, and the least recently seen client
forgotten first when too many are tracked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.api import client_address
from backend.api.client_address import ClientAddress
from backend.api.middleware import TokenBuckets
from onair_cli import _settings_from, build_parser
from tests.servers import make_settings, running_server


def statuses(answers: list[httpx.Response]) -> list[int]:
    return [answer.status_code for answer in answers]


def assert_limited(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.json()["error"]["code"] == "rate_limited"
    assert int(answer.headers["Retry-After"]) >= 1


def settings(tmp_path: Path, **overrides: Any) -> Any:
    return make_settings(tmp_path / "onair.sqlite3", **overrides)


def test_fresh_guest_tokens_bring_no_fresh_budget(tmp_path: Path) -> None:
    limits = settings(tmp_path, rate_per_second=0.01, rate_burst=6, ip_rate_per_second=0.01)
    with (
        running_server(limits.with_overrides(ip_rate_burst=20)) as live,
        httpx.Client(base_url=live.url) as http,
    ):
        tokens = [http.post("/api/auth/guest").json()["data"]["token"] for _ in range(4)]
        answers = [
            http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
            for token in tokens
            for _ in range(5)
        ]
    # Each token stayed inside its own budget of 6; the address spent its 20 (4 on minting).
    assert statuses(answers) == [200] * 16 + [429] * 4
    assert_limited(answers[-1])


def test_guest_tokens_are_minted_at_a_limited_pace(tmp_path: Path) -> None:
    with (
        running_server(settings(tmp_path, guest_tokens_per_minute=3.0)) as live,
        httpx.Client(base_url=live.url) as http,
    ):
        answers = [http.post("/api/auth/guest") for _ in range(5)]
        assert statuses(answers) == [200, 200, 200, 429, 429]
        assert_limited(answers[-1])
        assert int(answers[-1].headers["Retry-After"]) > 10  # three a minute: ~20 s apart
        assert http.get("/api/health").status_code == 200  # the rest of the API is open


def test_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    limits = settings(tmp_path, ip_rate_per_second=0.01, ip_rate_burst=3)

    def burst(http: httpx.Client, client: str, count: int = 4) -> list[int]:
        forwarded = {"X-Forwarded-For": client}
        return statuses([http.get("/api/health", headers=forwarded) for _ in range(count)])

    proxied = limits.with_overrides(trusted_proxies=("127.0.0.0/8",))
    with running_server(proxied) as live, httpx.Client(base_url=live.url) as http:
        assert burst(http, "203.0.113.7") == [200, 200, 200, 429]
        assert burst(http, "203.0.113.8") == [200, 200, 200, 429]  # someone else
        # What a client writes to the left of the address the proxy saw proves nothing.
        assert burst(http, "198.51.100.1, 203.0.113.8", 1) == [429]
    direct = limits.with_overrides(db_path=tmp_path / "direct.sqlite3", trusted_proxies=())
    with running_server(direct) as live, httpx.Client(base_url=live.url) as http:
        forged = [burst(http, f"203.0.113.{n}", 1)[0] for n in range(1, 6)]
    assert forged == [200, 200, 200, 429, 429]  # no proxy is trusted: the header is ignored


def test_the_least_recently_seen_client_is_forgotten_first() -> None:
    buckets = TokenBuckets(rate=0.001, burst=1, max_keys=3)
    for key in ("steady", "b", "c"):
        assert buckets.take(key, now=0.0) == 0.0
    assert buckets.take("steady", now=1.0) > 0  # seen again (and out of tokens)
    assert buckets.take("d", now=2.0) == 0.0  # a fourth client: "b" goes, not everyone
    assert "b" not in buckets and len(buckets) == 3
    assert buckets.take("steady", now=3.0) > 0  # still remembered: still limited


def test_a_trusted_proxy_that_is_not_an_address_is_refused_at_start() -> None:
    with pytest.raises(SystemExit, match=r"trusted proxy 'proxy\.local' is not an IP address"):
        _settings_from(build_parser().parse_args(["serve", "--trusted-proxy", "proxy.local"]))
    parsed = build_parser().parse_args(["serve", "--trusted-proxy", "10.0.0.0/8"])
    assert _settings_from(parsed).trusted_proxies == ("10.0.0.0/8",)  # type: ignore[attr-defined]


def test_trusted_proxies_are_remembered_within_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The trust decision is remembered per address (the rate limit asks on every request),
    for a bounded number of addresses; answers stay right after the memory starts afresh."""
    monkeypatch.setattr(client_address, "REMEMBERED", 3)
    addresses = ClientAddress(("10.0.0.0/8",))
    for _ in range(2):
        answers = [addresses.is_trusted(f"10.0.0.{n}") for n in range(5)]
        answers += [addresses.is_trusted(f"192.0.2.{n}") for n in range(5)]
        answers.append(addresses.is_trusted("not an address"))
        assert answers == [True] * 5 + [False] * 6
        assert len(addresses._trusted) <= 3
    scope = {"client": ("10.1.2.3", 5000), "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
    assert addresses.of(scope) == "203.0.113.9"
    assert addresses.of({**scope, "client": ("192.0.2.1", 5000)}) == "192.0.2.1"
