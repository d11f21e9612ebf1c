"""Co-host payloads as the backend sends them, built from the wire models (for studio tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from studio.core.events import ServerEvent
from wire.base import WireModel
from wire.multihost import (
    CohostLayout,
    CohostMember,
    CohostSession,
    GridSize,
    HostBox,
    Invitation,
    InvitationKind,
    LayoutMode,
    Pending,
    Role,
    SessionStatus,
)
from wire.payloads import PAYLOADS
from wire.stage_layout import wire_tiles
from wire.topology import topology
from wire.users import UserCard

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def card(user: str) -> UserCard:
    return UserCard(id=user, username=user, display_name=user.title())


def host(user: str, role: Role = "cohost", manage: bool = False) -> CohostMember:
    return CohostMember(
        user_id=user,
        username=user,
        display_name=user.title(),
        role=role,
        can_manage=manage,
        audio_enabled=True,
        video_enabled=True,
        screen_sharing=False,
        volume=100,
        stream_id=None,
        joined_at=NOW,
    )


def layout(
    mode: LayoutMode,
    order: Sequence[str],
    grid: GridSize | None = None,
    main: str | None = None,
    overlays: Sequence[HostBox] = (),
    version: int = 1,
) -> CohostLayout:
    """A layout with the tiles the backend would send with it."""
    fields = {
        "mode": mode,
        "grid": grid,
        "mainHostId": main,
        "order": list(order),
        "overlays": [o.to_wire() for o in overlays],
    }
    return CohostLayout.model_validate(
        {**fields, "version": version, "changedBy": order[0], "changedAt": NOW}
        | {"tiles": wire_tiles(fields)}
    )


def session(
    hosts: Sequence[CohostMember],
    status: SessionStatus = "live",
    primary: str = "me",
    manager_view: bool = True,
) -> CohostSession:
    return CohostSession(
        id="s1",
        title="Show",
        type="panel",
        status=status,
        primary_host=card(primary),
        description="",
        hosts=list(hosts),
        host_count=len(hosts),
        max_hosts=9,
        topology=topology(len(hosts)),
        layout=layout("grid", [h.user_id for h in hosts], grid="2x2"),
        pending=Pending(invitations=[], requests=[]) if manager_view else None,
        started_at=NOW if status == "live" else None,
        ended_at=None,
        end_reason=None,
        created_at=NOW,
        updated_at=NOW,
        server_time=NOW,
    )


def invitation(user: str, kind: InvitationKind = "invite") -> Invitation:
    return Invitation(
        id=f"i-{user}",
        session_id="s1",
        user=card(user),
        kind=kind,
        status="pending",
        invited_by="me" if kind == "invite" else None,
        can_manage=False,
        message="",
        expires_at=NOW,
        created_at=NOW,
    )


def event(name: str, payload: WireModel) -> ServerEvent:
    """The event as it arrives over /ws (its payload must be the model declared for it)."""
    assert type(payload) is PAYLOADS[name]
    return ServerEvent(name, payload.to_wire())
