"""/api/streams/{stream}/chat and /api/streams/{stream}/moderators: a stream's live chat.

Guests read (history, settings); writing, reporting and every moderation action need an
account. The stream is named as in ``/watch/{stream}`` and resolved to its canonical name.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, IdempotencyKey, ServicesDep
from backend.api.lean import lean_route, signed_in_post
from backend.api.models import Body
from backend.api.responses import answer_once, ok
from backend.realtime.hub import Hub
from backend.services.chat import ChatRoom
from backend.services.container import Services
from backend.services.streams import canonical_name, resolve_streamer
from wire.base import Ok
from wire.chat import (
    BlockedWordAction,
    BlockedWords,
    ChatCleared,
    ChatDeleted,
    ChatHistory,
    ChatModerators,
    ChatPinned,
    ChatReport,
    ChatReportFiled,
    ChatRestrictions,
    ChatSent,
    ChatSettings,
    ChatUnpinned,
    ChatUserBanned,
    ChatUserTimedOut,
    HeldDecision,
    HeldMessage,
    ModerationAction,
    TimeoutMinutes,
)
from wire.events import chat_mod_room

router = APIRouter(prefix="/api/streams/{stream}", tags=["chat"])


def chat_room(services: Services, stream: str) -> ChatRoom:
    streamer = resolve_streamer(services, stream)
    return ChatRoom(canonical_name(stream, streamer["username"]), streamer["id"])


class NewMessage(Body):
    text: str = Field(max_length=4000, description="1–300 characters after trimming")


class PinBody(Body):
    message_id: str = Field(alias="messageId", min_length=1, max_length=64)


class TimeoutBody(Body):
    user_id: str = Field(alias="userId", min_length=1, max_length=64)
    minutes: TimeoutMinutes


class BanBody(Body):
    user_id: str = Field(alias="userId", min_length=1, max_length=64)


class SettingsBody(Body):
    slow_mode_seconds: int | None = Field(None, alias="slowModeSeconds", ge=0, le=600)
    members_only: bool | None = Field(None, alias="membersOnly")
    min_account_age_minutes: int | None = Field(
        None, alias="minAccountAgeMinutes", ge=0, le=60 * 24 * 90
    )
    links_allowed: bool | None = Field(None, alias="linksAllowed")


class BlockedWordsBody(Body):
    words: list[Annotated[str, Field(max_length=100)]] = Field(max_length=1000)
    action: BlockedWordAction = "mask"


class ReportBody(Body):
    reason: str = Field("", max_length=200)


class ResolveBody(Body):
    action: Literal["dismiss", "remove"]


class HeldBody(Body):
    approve: bool


# ---- messages ----------------------------------------------------------------------
@router.get("/chat")
async def history(
    stream: str,
    viewer: AnyViewer,
    services: ServicesDep,
    before: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Ok[ChatHistory]:
    room = chat_room(services, stream)
    return ok(services.chat.messages.history(room, viewer, before, limit))


async def send(
    stream: str,
    body: NewMessage,
    viewer: CurrentUser,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> Ok[ChatSent]:
    room = chat_room(services, stream)
    return await answer_once(
        services,
        viewer.id,
        f"chat:{room.stream}",
        idempotency_key,
        lambda: services.chat.messages.send(room, viewer, body.text),
        ChatSent,
        body,
    )


router.add_api_route(
    "/chat",
    send,
    methods=["POST"],
    route_class_override=lean_route(signed_in_post(NewMessage, "viewer")),
)


@router.delete("/chat/messages/{message_id}")
async def delete_message(
    stream: str, message_id: str, user: CurrentUser, services: ServicesDep
) -> Ok[ChatDeleted]:
    return ok(services.chat.moderation.delete(chat_room(services, stream), user, message_id))


@router.post("/chat/messages/{message_id}/report")
async def report(
    stream: str, message_id: str, body: ReportBody, user: CurrentUser, services: ServicesDep
) -> Ok[ChatReportFiled]:
    room = chat_room(services, stream)
    return ok(services.chat.moderation.report(room, user, message_id, body.reason))


@router.post("/chat/pin")
async def pin(
    stream: str, body: PinBody, user: CurrentUser, services: ServicesDep
) -> Ok[ChatPinned]:
    return ok(services.chat.moderation.pin(chat_room(services, stream), user, body.message_id))


@router.delete("/chat/pin")
async def unpin(stream: str, user: CurrentUser, services: ServicesDep) -> Ok[ChatUnpinned]:
    return ok(services.chat.moderation.unpin(chat_room(services, stream), user))


@router.post("/chat/clear")
async def clear(stream: str, user: CurrentUser, services: ServicesDep) -> Ok[ChatCleared]:
    return ok(services.chat.moderation.clear(chat_room(services, stream), user))


# ---- people ------------------------------------------------------------------------
@router.post("/chat/timeouts")
async def time_out(
    stream: str, body: TimeoutBody, user: CurrentUser, services: ServicesDep
) -> Ok[ChatUserTimedOut]:
    room = chat_room(services, stream)
    return ok(services.chat.moderation.time_out(room, user, body.user_id, body.minutes))


@router.delete("/chat/timeouts/{user_id}")
async def lift_time_out(
    stream: str, user_id: str, user: CurrentUser, services: ServicesDep
) -> Ok[ChatUserTimedOut]:
    return ok(services.chat.moderation.lift_time_out(chat_room(services, stream), user, user_id))


@router.post("/chat/bans")
async def ban(
    stream: str, body: BanBody, user: CurrentUser, services: ServicesDep
) -> Ok[ChatUserBanned]:
    return ok(services.chat.moderation.ban(chat_room(services, stream), user, body.user_id))


@router.delete("/chat/bans/{user_id}")
async def unban(
    stream: str, user_id: str, user: CurrentUser, services: ServicesDep
) -> Ok[ChatUserBanned]:
    return ok(services.chat.moderation.unban(chat_room(services, stream), user, user_id))


@router.get("/chat/restrictions")
async def restrictions(
    stream: str, user: CurrentUser, services: ServicesDep
) -> Ok[ChatRestrictions]:
    return ok(services.chat.moderation.restrictions(chat_room(services, stream), user))


@router.get("/moderators")
async def moderators(stream: str, viewer: AnyViewer, services: ServicesDep) -> Ok[ChatModerators]:
    return ok(services.chat.moderation.moderators(chat_room(services, stream)))


@router.post("/moderators/{user_id}")
async def appoint(
    stream: str, user_id: str, user: CurrentUser, services: ServicesDep
) -> Ok[ChatModerators]:
    return ok(services.chat.moderation.appoint(chat_room(services, stream), user, user_id))


@router.delete("/moderators/{user_id}")
async def dismiss(
    stream: str, user_id: str, request: Request, user: CurrentUser, services: ServicesDep
) -> Ok[ChatModerators]:
    room = chat_room(services, stream)
    result = services.chat.moderation.dismiss(room, user, user_id)
    _leave_moderator_room(request.app.state.hub, room, user_id)
    return ok(result)


def _leave_moderator_room(hub: Hub, room: ChatRoom, user_id: str) -> None:
    """A dismissed moderator's connections (on this worker) stop receiving reports."""
    target = chat_mod_room(room.stream)
    for conn in hub.members(target):
        if conn.user.id == user_id:
            hub.leave(conn, target)


# ---- rules -------------------------------------------------------------------------
@router.get("/chat/settings")
async def settings(stream: str, viewer: AnyViewer, services: ServicesDep) -> Ok[ChatSettings]:
    return ok(services.chat.moderation.settings(chat_room(services, stream)))


@router.patch("/chat/settings")
async def update_settings(
    stream: str, body: SettingsBody, user: CurrentUser, services: ServicesDep
) -> Ok[ChatSettings]:
    changes = {
        column: value
        for column, value in {
            "slowModeSeconds": body.slow_mode_seconds,
            "membersOnly": body.members_only,
            "minAccountAgeMinutes": body.min_account_age_minutes,
            "linksAllowed": body.links_allowed,
        }.items()
        if value is not None
    }
    room = chat_room(services, stream)
    return ok(services.chat.moderation.update_settings(room, user, changes))


@router.get("/chat/blocked-words")
async def blocked_words(stream: str, user: CurrentUser, services: ServicesDep) -> Ok[BlockedWords]:
    return ok(services.chat.moderation.blocked_words(chat_room(services, stream), user))


@router.put("/chat/blocked-words")
async def set_blocked_words(
    stream: str, body: BlockedWordsBody, user: CurrentUser, services: ServicesDep
) -> Ok[BlockedWords]:
    room = chat_room(services, stream)
    return ok(services.chat.moderation.set_blocked_words(room, user, body.words, body.action))


# ---- the moderation queue ----------------------------------------------------------
@router.get("/chat/reports")
async def reports(
    stream: str,
    user: CurrentUser,
    services: ServicesDep,
    status: Literal["open", "dismissed", "removed"] = "open",
) -> Ok[list[ChatReport]]:
    return ok(services.chat.moderation.reports(chat_room(services, stream), user, status))


@router.post("/chat/reports/{report_id}")
async def resolve_report(
    stream: str, report_id: str, body: ResolveBody, user: CurrentUser, services: ServicesDep
) -> Ok[ChatReport]:
    room = chat_room(services, stream)
    remove = body.action == "remove"
    return ok(services.chat.moderation.resolve_report(room, user, report_id, remove))


@router.get("/chat/held")
async def held(stream: str, user: CurrentUser, services: ServicesDep) -> Ok[list[HeldMessage]]:
    return ok(services.chat.moderation.held(chat_room(services, stream), user))


@router.post("/chat/held/{message_id}")
async def decide_held(
    stream: str, message_id: str, body: HeldBody, user: CurrentUser, services: ServicesDep
) -> Ok[HeldDecision]:
    room = chat_room(services, stream)
    return ok(services.chat.moderation.decide_held(room, user, message_id, body.approve))


@router.get("/chat/actions")
async def actions(
    stream: str,
    user: CurrentUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> Ok[list[ModerationAction]]:
    return ok(services.chat.moderation.log(chat_room(services, stream), user, limit))
