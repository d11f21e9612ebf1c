"""/api/multihost: the spec's thirteen co-host endpoints plus leave, thin over the services."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter

from backend.api.deps import AnyViewer, CurrentUser, ServicesDep
from backend.api.responses import ok
from backend.services.multihost.layout_rules import LayoutChange
from wire import multihost as cohost  # the request bodies, which the studio sends too
from wire.base import Ok
from wire.multihost import CohostLayout, CohostMember, CohostSession, Invitation

router = APIRouter(prefix="/api/multihost", tags=["multihost"])


@router.post("", status_code=201)
async def create(
    body: cohost.NewSession, user: CurrentUser, services: ServicesDep
) -> Ok[CohostSession]:
    return ok(
        services.multihost.sessions.create(
            user.id, body.title, body.type, body.layout, body.grid, body.description, body.max_hosts
        )
    )


@router.get("/active/list")
async def active(viewer: AnyViewer, services: ServicesDep) -> Ok[list[CohostSession]]:
    return ok(services.multihost.sessions.active(viewer.id))


@router.get("/user/{user_id}")
async def user_sessions(
    user_id: str, user: CurrentUser, services: ServicesDep
) -> Ok[list[CohostSession]]:
    return ok(services.multihost.sessions.for_user(user_id, user.id))


@router.get("/{session_id}")
async def detail(session_id: str, viewer: AnyViewer, services: ServicesDep) -> Ok[CohostSession]:
    return ok(services.multihost.sessions.get(session_id, viewer.id))


@router.post("/{session_id}/start")
async def start(session_id: str, user: CurrentUser, services: ServicesDep) -> Ok[CohostSession]:
    return ok(services.multihost.sessions.start(session_id, user.id))


@router.post("/{session_id}/invite", status_code=201)
async def invite(
    session_id: str, body: cohost.Invite, user: CurrentUser, services: ServicesDep
) -> Ok[Invitation]:
    invitations = services.multihost.invitations
    return ok(invitations.invite(session_id, user.id, body.user_id, body.can_manage, body.message))


@router.post("/{session_id}/accept")
async def accept(session_id: str, user: CurrentUser, services: ServicesDep) -> Ok[CohostSession]:
    return ok(services.multihost.invitations.accept(session_id, user.id))


@router.post("/{session_id}/request", status_code=201)
async def request_to_join(
    session_id: str,
    user: CurrentUser,
    services: ServicesDep,
    body: cohost.JoinRequest | None = None,
) -> Ok[Invitation]:
    message = body.message if body else ""
    return ok(services.multihost.invitations.request(session_id, user.id, message))


@router.post("/{session_id}/approve")
async def approve(
    session_id: str, body: cohost.Approve, user: CurrentUser, services: ServicesDep
) -> Ok[CohostSession]:
    invitations = services.multihost.invitations
    return ok(invitations.approve(session_id, user.id, body.user_id, body.approve))


@router.delete("/{session_id}/hosts/{user_id}")
async def remove_host(
    session_id: str, user_id: str, user: CurrentUser, services: ServicesDep
) -> Ok[CohostSession]:
    return ok(services.multihost.seats.remove(session_id, user.id, user_id))


@router.put("/{session_id}/settings")
async def settings(
    session_id: str, body: cohost.HostSettings, user: CurrentUser, services: ServicesDep
) -> Ok[CohostMember]:
    changes = body.model_dump(exclude_none=True, exclude={"user_id"}, by_alias=True)
    seats = services.multihost.seats
    return ok(seats.update_settings(session_id, user.id, changes, body.user_id))


@router.put("/{session_id}/layout")
async def layout(
    session_id: str, body: cohost.LayoutRequest, user: CurrentUser, services: ServicesDep
) -> Ok[CohostLayout]:
    # the body's fields, validated above, are LayoutChange's; the ones not sent are left out
    request = cast(LayoutChange, body.model_dump(exclude_none=True, by_alias=True))
    return ok(services.multihost.layouts.change(session_id, user.id, request))


@router.post("/{session_id}/end")
async def end(session_id: str, user: CurrentUser, services: ServicesDep) -> Ok[CohostSession]:
    return ok(services.multihost.sessions.end(session_id, user.id))


@router.post("/{session_id}/leave")
async def leave(session_id: str, user: CurrentUser, services: ServicesDep) -> Ok[CohostSession]:
    return ok(services.multihost.sessions.leave(session_id, user.id))
