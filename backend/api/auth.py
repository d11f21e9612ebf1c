"""/api/auth: register, login, guest viewer tokens, who am I, user search."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, ServicesDep
from backend.api.models import Body
from backend.api.responses import ok
from backend.api.streams import live_user_ids
from backend.realtime.presence import Presence
from backend.services.auth import public_user
from backend.services.container import Services
from wire.base import Ok
from wire.events import user_room
from wire.users import Account, AccountSession, FoundUser, Guest, GuestSession, Me

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Credentials(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Registration(Credentials):
    displayName: str | None = Field(default=None, max_length=64)


def _account(services: Services, row: dict[str, Any]) -> dict[str, Any]:
    return {**public_user(row), **services.wallet.balance(row["id"])}


def _session(services: Services, row: dict[str, Any]) -> Ok[AccountSession]:
    token = services.auth.issue_token(row["id"], row["username"])
    return ok(AccountSession(user=Account.model_validate(_account(services, row)), token=token))


@router.post("/register", status_code=201)
async def register(body: Registration, services: ServicesDep) -> Ok[AccountSession]:
    row = await services.logins.register(body.username, body.password, body.displayName)
    return _session(services, row)


@router.post("/login")
async def login(body: Credentials, request: Request, services: ServicesDep) -> Ok[AccountSession]:
    """429 ``too_many_attempts`` (with Retry-After) after repeated wrong passwords for the
    account or from the address; 503 ``busy`` when too many sign-ins are already waiting."""
    address = request.app.state.client_address.of(request.scope)
    row = await services.logins.authenticate(body.username, body.password, address)
    return _session(services, row)


@router.post("/guest")
async def guest(services: ServicesDep) -> Ok[GuestSession]:
    token, user = services.auth.guest_token()
    return ok(
        GuestSession(user=Guest(id=user.id, username=user.username, role="guest"), token=token)
    )


@router.get("/me")
async def me(viewer: AnyViewer, services: ServicesDep) -> Ok[Me | Guest]:
    if viewer.is_guest:
        return ok(Guest(id=viewer.id, username=viewer.username, role="guest"))
    row = services.auth.get_user(viewer.id)
    return ok(Me.model_validate({**_account(services, row), "role": viewer.role}))


@router.get("/users")
async def search_users(
    request: Request, user: CurrentUser, services: ServicesDep, q: str = Query("", max_length=64)
) -> Ok[list[FoundUser]]:
    """Other users matching ``q``, each with ``live`` (publishing a stream now; null when media
    goes to another server) and ``online`` (signed in to the event link): live streamers first,
    then those online, then the rest."""
    live = live_user_ids(request)
    presence: Presence = request.app.state.presence
    found = []
    for match in services.auth.search_users(q, user.id, first=live or ()):
        online = await presence.has_user(user_room(match["id"]), match["id"])
        is_live = None if live is None else match["id"] in live
        found.append(FoundUser.model_validate({**match, "live": is_live, "online": online}))
    found.sort(key=lambda u: (not u.live, not u.online))  # stable: by name within each
    return ok(found)
