"""Token attacks: every forged, stale or orphaned token is 401 on REST (a /ws ticket included)
and refused on /ws."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import httpx
import jwt
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from backend.services.container import Services
from tests.security.world import make_user
from tests.servers import LiveServer

Forge = Callable[[Services, str, str], str]


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(user_id: str, username: str, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user_id,
        "name": username,
        "role": "user",
        "iat": now,
        "exp": now + 600,
    }
    return {**claims, **changes}


def _secret(services: Services) -> str:
    return services.auth.secret


def expired(services: Services, user_id: str, name: str) -> str:
    claims = _claims(user_id, name, iat=int(time.time()) - 7200, exp=int(time.time()) - 60)
    return jwt.encode(claims, _secret(services), algorithm="HS256")


def wrong_key(services: Services, user_id: str, name: str) -> str:
    return jwt.encode(
        _claims(user_id, name), "not-the-server-secret-" + "y" * 32, algorithm="HS256"
    )


def alg_none(services: Services, user_id: str, name: str) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user_id, name))}."


def other_algorithm(services: Services, user_id: str, name: str) -> str:
    return jwt.encode(_claims(user_id, name), _secret(services), algorithm="HS512")


def no_expiry(services: Services, user_id: str, name: str) -> str:
    claims = _claims(user_id, name)
    del claims["exp"]
    return jwt.encode(claims, _secret(services), algorithm="HS256")


def tampered_role(services: Services, user_id: str, name: str) -> str:
    header, _, signature = services.auth.issue_token(user_id, name).split(".")
    return f"{header}.{_b64(_claims(user_id, name, role='admin'))}.{signature}"


def tampered_subject(services: Services, user_id: str, name: str) -> str:
    victim = make_user(services)[0]
    header, _, signature = services.auth.issue_token(user_id, name).split(".")
    return f"{header}.{_b64(_claims(victim, name))}.{signature}"


def garbage(services: Services, user_id: str, name: str) -> str:
    return "not.a.token"


REFUSALS = {"token_expired", "invalid_token", "unknown_user"}
ATTACKS: list[Forge] = [
    expired,
    wrong_key,
    alg_none,
    other_algorithm,
    no_expiry,
    tampered_role,
    tampered_subject,
    garbage,
]


async def assert_refused(live: LiveServer, token: str) -> None:
    async with httpx.AsyncClient(base_url=live.url) as http:
        for path in ("/api/auth/me", "/api/wallet", "/api/pk-battles/active/list"):
            response = await http.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, f"{path}: {response.text}"
            assert response.json()["error"]["code"] in REFUSALS
        ticket = await http.post("/api/ws-ticket", headers={"Authorization": f"Bearer {token}"})
        assert ticket.status_code == 401 and ticket.json()["error"]["code"] in REFUSALS
    with pytest.raises(InvalidStatus) as refused:  # nor is a token taken in the URL
        async with websockets.connect(f"{live.ws_url}?token={token}"):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.filterwarnings("ignore:The HMAC key")  # the HS512 forgery's key length
@pytest.mark.parametrize("forge", ATTACKS, ids=lambda f: f.__name__)
async def test_forged_tokens_are_refused(forge: Forge, live: LiveServer) -> None:
    services: Services = live.app.state.services
    user_id, username, _ = make_user(services)
    await assert_refused(live, forge(services, user_id, username))


async def test_a_deleted_users_token_stops_working(live: LiveServer) -> None:
    services: Services = live.app.state.services
    user_id, _, token = make_user(services)
    async with httpx.AsyncClient(base_url=live.url) as http:  # verified once, so cached
        ok = await http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    services.auth.delete_user(user_id)
    await assert_refused(live, token)


@pytest.mark.parametrize("header", ["", "Bearer", "Basic dXNlcjpwYXNz", "Token abc", "bearer  x y"])
def test_malformed_authorization_headers_are_401(header: str, live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as http:
        response = http.get("/api/auth/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
