"""Gifts on every live (``POST /api/streams/{stream}/gift``) and a streamer's gift income."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from backend.api.deps import CurrentUser, IdempotencyKey, ServicesDep
from backend.api.lean import lean_route, signed_in_post
from backend.api.models import Body
from backend.api.responses import answer_once, ok
from backend.api.streams import known_offline
from backend.errors import Conflict
from backend.services.container import Services
from backend.services.streams import resolve_streamer
from wire.base import Ok
from wire.gifts import GiftIncome, StreamGiftReceipt

router = APIRouter(tags=["gifts"])


class SendStreamGift(Body):
    giftId: str = Field(min_length=1, max_length=64)
    quantity: int = 1
    toHost: str | None = Field(default=None, min_length=1, max_length=64)  # else the streamer


async def stream_gift(
    stream: str,
    request: Request,
    body: SendStreamGift,
    user: CurrentUser,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> Ok[StreamGiftReceipt]:
    """A gift to the streamer or a co-host of the live; during a PK battle it counts for it."""
    _refuse_offline(request, services, stream)
    return await answer_once(
        services,
        user.id,
        f"stream-gift:{stream.lower()}",
        idempotency_key,
        lambda: services.stream_gifts.send(
            stream, user.id, body.giftId, body.quantity, body.toHost
        ),
        StreamGiftReceipt,
        body,
        row_locked=True,  # guarded balances; a battle gift locks its battle row first
    )


def _refuse_offline(request: Request, services: Services, stream: str) -> None:
    """A gift reaches a live stream only: to one that is not, nothing is sent (409)."""
    if not known_offline(request, stream):
        return
    streamer = resolve_streamer(services, stream)  # an unknown stream stays a 404
    if services.stream_gifts.in_battle(streamer["id"]):
        return  # a battle's gifts score whatever the media says, as on the battle's own route
    name = streamer["displayName"] or streamer["username"]
    raise Conflict(
        f"{name} isn't live right now, so your gift was not sent and no coins were spent."
        f" Follow {name} to hear when they go live, then send it.",
        code="stream_offline",
    )


_gift_arguments = signed_in_post(SendStreamGift, "user")


async def _arguments_with_request(request: Request) -> dict[str, Any]:
    return {**await _gift_arguments(request), "request": request}


# A gift storm on any live comes through here: a LeanRoute, like the battle gift's.
router.add_api_route(
    "/api/streams/{stream}/gift",
    stream_gift,
    methods=["POST"],
    route_class_override=lean_route(_arguments_with_request),
)


@router.get("/api/gifts/income")
async def income(
    user: CurrentUser,
    services: ServicesDep,
    since: Annotated[datetime, Query(description="the live's start (ISO 8601; UTC if no zone)")],
) -> Ok[GiftIncome]:
    """What the signed-in streamer received in gifts since ``since``, and the top gifters."""
    moment = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    return ok(services.stream_gifts.income(user.id, moment))
