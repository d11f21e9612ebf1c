"""/api/multihost: the spec's thirteen co-host endpoints plus leave, thin over MultiHostService."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, ServicesDep
from backend.api.models import Body
from backend.api.responses import ok
from backend.services.multihost import MAX_HOSTS

router = APIRouter(prefix="/api/multihost", tags=["multihost"])
UserId = Annotated[str, Field(min_length=1, max_length=64)]


class CreateSession(Body):
    title: str = Field(min_length=1, max_length=120)
    type: str = Field(max_length=32)
    layout: str = Field(default="grid", max_length=16)
    grid: str | None = Field(default=None, max_length=8)
    description: str = Field(default="", max_length=500)
    maxHosts: int = MAX_HOSTS


class Invite(Body):
    userId: UserId
    canManage: bool = False
    message: str = Field(default="", max_length=200)


class JoinRequest(Body):
    message: str = Field(default="", max_length=200)


class Approve(Body):
    userId: UserId
    approve: bool = True


class HostSettings(Body):
    userId: str | None = Field(default=None, min_length=1, max_length=64)
    audioEnabled: bool | None = None
    videoEnabled: bool | None = None
    screenSharing: bool | None = None
    volume: int | None = Field(default=None, ge=0, le=100)
    streamId: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")
    canManage: bool | None = None


class Overlay(Body):
    userId: UserId
    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    width: float = Field(gt=0, le=1)
    height: float = Field(gt=0, le=1)


class Layout(Body):
    mode: str | None = Field(default=None, max_length=16)
    grid: str | None = Field(default=None, max_length=8)
    mainHostId: str | None = Field(default=None, min_length=1, max_length=64)
    order: list[str] | None = Field(default=None, max_length=MAX_HOSTS)
    overlays: list[Overlay] | None = Field(default=None, max_length=MAX_HOSTS)


@router.post("", status_code=201)
async def create(body: CreateSession, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(
        services.multihost.create(
            user.id, body.title, body.type, body.layout, body.grid, body.description, body.maxHosts
        )
    )


@router.get("/active/list")
async def active(viewer: AnyViewer, services: ServicesDep) -> dict[str, Any]:
    return ok(services.multihost.active(viewer.id))


@router.get("/user/{user_id}")
async def user_sessions(user_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.multihost.for_user(user_id, user.id))


@router.get("/{session_id}")
async def detail(session_id: str, viewer: AnyViewer, services: ServicesDep) -> dict[str, Any]:
    return ok(services.multihost.get(session_id, viewer.id))


@router.post("/{session_id}/start")
async def start(session_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.multihost.start(session_id, user.id))


@router.post("/{session_id}/invite", status_code=201)
async def invite(
    session_id: str, body: Invite, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return ok(
        services.multihost.invite(session_id, user.id, body.userId, body.canManage, body.message)
    )


@router.post("/{session_id}/accept")
async def accept(session_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.multihost.accept(session_id, user.id))


@router.post("/{session_id}/request", status_code=201)
async def request_to_join(
    session_id: str, user: CurrentUser, services: ServicesDep, body: JoinRequest | None = None
) -> dict[str, Any]:
    message = body.message if body else ""
    return ok(services.multihost.request(session_id, user.id, message))


@router.post("/{session_id}/approve")
async def approve(
    session_id: str, body: Approve, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return ok(services.multihost.approve(session_id, user.id, body.userId, body.approve))


@router.delete("/{session_id}/hosts/{user_id}")
async def remove_host(
    session_id: str, user_id: str, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return ok(services.multihost.remove_host(session_id, user.id, user_id))


@router.put("/{session_id}/settings")
async def settings(
    session_id: str, body: HostSettings, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    changes = body.model_dump(exclude_none=True, exclude={"userId"})
    return ok(services.multihost.update_settings(session_id, user.id, changes, body.userId))


@router.put("/{session_id}/layout")
async def layout(
    session_id: str, body: Layout, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    return ok(
        services.multihost.change_layout(session_id, user.id, body.model_dump(exclude_none=True))
    )


@router.post("/{session_id}/end")
async def end(session_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.multihost.end(session_id, user.id))


@router.post("/{session_id}/leave")
async def leave(session_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.multihost.leave(session_id, user.id))
