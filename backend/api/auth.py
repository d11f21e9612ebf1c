"""/api/auth: register, login, guest viewer tokens, who am I, user search."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from backend.api.deps import AnyViewer, CurrentUser, ServicesDep
from backend.api.models import Body
from backend.api.responses import ok
from backend.api.streams import live_user_ids
from backend.realtime.presence import Presence
from backend.services.auth import public_user
from wire.events import user_room

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Credentials(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Registration(Credentials):
    displayName: str | None = Field(default=None, max_length=64)


def _session(services: Any, row: dict[str, Any]) -> dict[str, Any]:
    user = {**public_user(row), **services.wallet.balance(row["id"])}
    return ok({"user": user, "token": services.auth.issue_token(row["id"], row["username"])})


@router.post("/register", status_code=201)
async def register(body: Registration, services: ServicesDep) -> dict[str, Any]:
    row = await run_in_threadpool(
        services.auth.register, body.username, body.password, body.displayName
    )
    return _session(services, row)


@router.post("/login")
async def login(body: Credentials, services: ServicesDep) -> dict[str, Any]:
    row = await run_in_threadpool(services.auth.authenticate, body.username, body.password)
    return _session(services, row)


@router.post("/guest")
async def guest(services: ServicesDep) -> dict[str, Any]:
    token, user = services.auth.guest_token()
    return ok({"user": {"id": user.id, "username": user.username, "role": "guest"}, "token": token})


@router.get("/me")
async def me(viewer: AnyViewer, services: ServicesDep) -> dict[str, Any]:
    if viewer.is_guest:
        return ok({"id": viewer.id, "username": viewer.username, "role": "guest"})
    row = services.auth.get_user(viewer.id)
    return ok({**public_user(row), **services.wallet.balance(viewer.id), "role": viewer.role})


@router.get("/users")
async def search_users(
    request: Request, user: CurrentUser, services: ServicesDep, q: str = Query("", max_length=64)
) -> dict[str, Any]:
    """Other users matching ``q``, each with ``live`` (publishing a stream now; null when media
    goes to another server) and ``online`` (signed in to the event link): live streamers first,
    then those online, then the rest."""
    live = live_user_ids(request)
    presence: Presence = request.app.state.presence
    found = []
    for match in services.auth.search_users(q, user.id, first=live or ()):
        online = await presence.has_user(user_room(match["id"]), match["id"])
        found.append(
            {**match, "live": None if live is None else match["id"] in live, "online": online}
        )
    found.sort(key=lambda u: (not u["live"], not u["online"]))  # stable: by name within each
    return ok(found)
