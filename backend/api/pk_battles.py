"""/api/pk-battles: the spec's eight endpoints, thin over PKBattleService."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, IdempotencyKey, ServicesDep
from backend.api.middleware import LeanRequest, LeanRoute
from backend.api.models import Body
from backend.api.responses import ok, respond_once
from backend.api.streams import live_user_ids

router = APIRouter(prefix="/api/pk-battles", tags=["pk-battles"])


class CreateBattle(Body):
    opponent: str = Field(min_length=1, max_length=64)
    duration: int
    title: str = Field(default="", max_length=120)


class SendGift(Body):
    giftId: str = Field(min_length=1, max_length=64)
    quantity: int = 1
    toHost: str = Field(min_length=1, max_length=64)


@router.post("", status_code=201)
async def create(body: CreateBattle, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.pk.create(user.id, body.opponent, body.duration, body.title))


@router.get("/active/list")
async def active(viewer: AnyViewer, services: ServicesDep) -> dict[str, Any]:
    return ok(services.pk.active())


@router.get("/leaderboard/rankings")
async def leaderboard(
    viewer: AnyViewer,
    services: ServicesDep,
    period: str = Query("all-time", max_length=16),
    metric: str = Query("wins", max_length=16),
    limit: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    return ok(services.pk.leaderboard(period, metric, limit))


@router.get("/user/{user_id}")
async def user_battles(user_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.pk.for_user(user_id, user.id))


@router.get("/{battle_id}")
async def detail(
    battle_id: str, request: Request, viewer: AnyViewer, services: ServicesDep
) -> dict[str, Any]:
    """The battle, its top supporters, and whether each host is live (publishing) right now."""
    battle = services.pk.get(battle_id, viewer.id)
    live = live_user_ids(request)
    for side in ("host1", "host2"):
        host = battle[side]
        battle[side] = {**host, "live": None if live is None else host["id"] in live}
    return ok({**battle, "topSupporters": services.pk.top_supporters(battle_id)})


@router.post("/{battle_id}/accept")
async def accept(battle_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return ok(services.pk.accept(battle_id, user.id))


@router.post("/{battle_id}/gift")
async def gift(
    battle_id: str,
    body: SendGift,
    user: CurrentUser,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await respond_once(
        services,
        user.id,
        f"pk-gift:{battle_id}",
        idempotency_key,
        lambda: services.pk.send_gift(battle_id, user.id, body.giftId, body.quantity, body.toHost),
    )


@router.delete("/{battle_id}")
async def leave(battle_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Either host: cancel a pending challenge (the invited host declines it), or end a running
    battle early, which forfeits it: the other host wins and both are paid as at the normal end.
    """
    return ok(services.pk.leave(battle_id, user.id))


async def gift_lean(request: LeanRequest) -> dict[str, Any]:
    """``gift`` for the gift storm: the same arguments, resolved without FastAPI's machinery.

    Who is asking is settled before the body is read: a stranger's malformed gift is 401, not
    422 (nothing about the body is told to someone who may not send one)."""
    user = await request.signed_in()
    return await gift(
        request.params["battle_id"],
        request.json(SendGift),
        user,
        request.services,
        request.header(b"idempotency-key"),
    )


LEAN_ROUTES = [LeanRoute("POST", f"{router.prefix}/{{battle_id}}/gift", gift_lean)]
