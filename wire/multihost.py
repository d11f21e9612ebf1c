"""Co-host (multi-host) sessions: REST answers of /api/multihost and the ``multihost:*`` events.

A session has up to nine hosts: the primary host (its creator) and co-hosts, some of them
managers. The layout is one piece of shared state every client draws (``tiles`` is the stage
geometry of ``wire.stage_layout``, sent so the viewer page need not compute it).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from wire.base import Timestamp, WireBody, WireModel
from wire.events import MultiHost
from wire.topology import MAX_HOSTS, Topology
from wire.users import Named, UserCard

SessionType = Literal["collaboration", "interview", "panel", "gaming", "podcast", "workshop"]
SessionStatus = Literal["scheduled", "live", "ended"]
LayoutMode = Literal["grid", "spotlight", "sidebar", "pip"]
GridSize = Literal["2x2", "3x3"]
Role = Literal["primary", "cohost"]
InvitationKind = Literal["invite", "request"]  # the hosts asked the user, or the user asked
InvitationStatus = Literal["pending", "accepted", "approved", "declined", "expired", "cancelled"]
LeaveReason = Literal["left", "removed", "disconnected"]
EndReason = Literal["ended", "primary-left", "primary-disconnected"]

OPEN_STATUSES: tuple[SessionStatus, ...] = ("scheduled", "live")


class HostBox(WireModel):
    """Where one host's video goes, in fractions of the 16:9 stage (0–1)."""

    user_id: str
    x: float
    y: float
    width: float
    height: float


class CohostLayout(WireModel):
    mode: LayoutMode
    grid: GridSize | None  # grid mode only
    main_host_id: str | None  # every mode but grid
    order: list[str]  # every host once, the main host first
    overlays: list[HostBox]  # picture-in-picture boxes of the hosts but the main one
    version: int
    changed_by: str
    changed_at: Timestamp
    tiles: list[HostBox]  # the stage geometry every client draws


class CohostMember(Named):
    """One host of a session and the settings every client renders."""

    user_id: str
    role: Role
    can_manage: bool
    audio_enabled: bool
    video_enabled: bool
    screen_sharing: bool
    volume: int
    stream_id: str | None  # the stream the host publishes when it is not named as the user
    joined_at: Timestamp

    @property
    def primary(self) -> bool:
        return self.role == "primary"


class Invitation(WireModel):
    """An invitation to a session (``invite``) or a user's request to join one (``request``)."""

    id: str
    session_id: str
    user: UserCard  # who is invited, or who asks
    kind: InvitationKind
    status: InvitationStatus
    invited_by: str | None  # an invite's sender
    can_manage: bool
    message: str
    expires_at: Timestamp
    created_at: Timestamp


class SessionSummary(WireModel):
    id: str
    title: str
    type: SessionType
    status: SessionStatus
    primary_host: UserCard


class Pending(WireModel):
    invitations: list[Invitation]
    requests: list[Invitation]


class CohostSession(SessionSummary):
    description: str
    hosts: list[CohostMember]
    host_count: int
    max_hosts: int
    topology: Topology
    layout: CohostLayout
    pending: Pending | None  # shown to the primary host and managers only
    started_at: Timestamp | None
    ended_at: Timestamp | None
    end_reason: EndReason | None
    created_at: Timestamp
    updated_at: Timestamp
    server_time: Timestamp

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES

    def host(self, user_id: str) -> CohostMember | None:
        return next((h for h in self.hosts if h.user_id == user_id), None)


# ---- events ---------------------------------------------------------------------------------
class SessionEvent(WireModel):
    session_id: str


class Invited(SessionEvent):
    """To the session and the invitee (whose studio shows whose session it is)."""

    invitation: Invitation
    session: SessionSummary


class HostJoined(SessionEvent):
    host: CohostMember
    host_count: int
    topology: Topology


class HostLeft(SessionEvent):
    user_id: str
    reason: LeaveReason
    by: str | None  # who removed them; None when they left or their connection did
    host_count: int
    topology: Topology


class SettingsChanged(SessionEvent):
    user_id: str
    by: str
    host: CohostMember


class LayoutChanged(SessionEvent):
    layout: CohostLayout
    topology: Topology


class SessionStarted(SessionEvent):
    session: CohostSession


class SessionEnded(SessionEvent):
    reason: EndReason
    by: str | None
    session: CohostSession


class RequestEvent(SessionEvent):
    request: Invitation


class JoinRequested(RequestEvent):
    """To the session's managers."""


class RequestDeclined(RequestEvent):
    """To the user whose request was declined."""


class InvitationExpired(SessionEvent):
    """To the invitee, the sender and the managers: their prompts close."""

    invitation: Invitation


EVENTS: dict[str, type[WireModel]] = {
    MultiHost.INVITED: Invited,
    MultiHost.JOINED: HostJoined,
    MultiHost.LEFT: HostLeft,
    MultiHost.SETTINGS: SettingsChanged,
    MultiHost.LAYOUT_CHANGED: LayoutChanged,
    MultiHost.STARTED: SessionStarted,
    MultiHost.ENDED: SessionEnded,
    MultiHost.JOIN_REQUESTED: JoinRequested,
    MultiHost.REQUEST_DECLINED: RequestDeclined,
    MultiHost.INVITATION_EXPIRED: InvitationExpired,
}


# ---- request bodies (the studio sends them, the backend validates with them) -------------
UserId = Annotated[str, Field(min_length=1, max_length=64)]


class NewSession(WireBody):
    """``POST /api/multihost``."""

    title: str = Field(min_length=1, max_length=120)
    type: str = Field(max_length=32)
    layout: str = Field(default="grid", max_length=16)
    grid: str | None = Field(default=None, max_length=8)
    description: str = Field(default="", max_length=500)
    max_hosts: int = MAX_HOSTS


class Invite(WireBody):
    """``POST /api/multihost/{id}/invite``."""

    user_id: UserId
    can_manage: bool = False
    message: str = Field(default="", max_length=200)


class JoinRequest(WireBody):
    """``POST /api/multihost/{id}/request``: ask the hosts to join."""

    message: str = Field(default="", max_length=200)


class Approve(WireBody):
    """``POST /api/multihost/{id}/approve``: answer a request to join."""

    user_id: UserId
    approve: bool = True


class HostSettings(WireBody):
    """``PUT /api/multihost/{id}/settings``: my own (or, as a manager, ``user_id``'s)."""

    user_id: str | None = Field(default=None, min_length=1, max_length=64)
    audio_enabled: bool | None = None
    video_enabled: bool | None = None
    screen_sharing: bool | None = None
    volume: int | None = Field(default=None, ge=0, le=100)
    stream_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")
    can_manage: bool | None = None


class Overlay(WireBody):
    """A host's picture-in-picture box, in fractions of the stage."""

    user_id: UserId
    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    width: float = Field(gt=0, le=1)
    height: float = Field(gt=0, le=1)


class LayoutRequest(WireBody):
    """``PUT /api/multihost/{id}/layout``: what is not given stays as it is."""

    mode: str | None = Field(default=None, max_length=16)
    grid: str | None = Field(default=None, max_length=8)
    main_host_id: str | None = Field(default=None, min_length=1, max_length=64)
    order: list[str] | None = Field(default=None, max_length=MAX_HOSTS)
    overlays: list[Overlay] | None = Field(default=None, max_length=MAX_HOSTS)
