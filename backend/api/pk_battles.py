"""/api/pk-battles: the spec's eight endpoints, thin over PKBattleService."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, IdempotencyKey, ServicesDep
from backend.api.lean import lean_route, signed_in_post
from backend.api.models import Body
from backend.api.responses import answer_once, ok
from backend.api.streams import live_user_ids
from wire.base import Ok
from wire.pk import Battle, BattleDetail, GiftReceipt, Leaderboard, LiveHost, UserBattles

router = APIRouter(prefix="/api/pk-battles", tags=["pk-battles"])


class CreateBattle(Body):
    opponent: str = Field(min_length=1, max_length=64)
    duration: int
    title: str = Field(default="", max_length=120)


class SendGift(Body):
    giftId: str = Field(min_length=1, max_length=64)
    quantity: int = 1
    toHost: str = Field(min_length=1, max_length=64)


async def gift(
    battle_id: str,
    body: SendGift,
    user: CurrentUser,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> Ok[GiftReceipt]:
    return await answer_once(
        services,
        user.id,
        f"pk-gift:{battle_id}",
        idempotency_key,
        lambda: services.pk.gifts.send(battle_id, user.id, body.giftId, body.quantity, body.toHost),
        GiftReceipt,
        body,
        row_locked=True,  # guarded balances; a battle gift locks its battle row first
    )


# The gift storm's endpoint: first in the table (matched first), answered by a LeanRoute.
router.add_api_route(
    "/{battle_id}/gift",
    gift,
    methods=["POST"],
    route_class_override=lean_route(signed_in_post(SendGift, "user")),
)


@router.post("", status_code=201)
async def create(body: CreateBattle, user: CurrentUser, services: ServicesDep) -> Ok[Battle]:
    return ok(services.pk.create(user.id, body.opponent, body.duration, body.title))


@router.get("/active/list")
async def active(viewer: AnyViewer, services: ServicesDep) -> Ok[list[Battle]]:
    return ok(services.pk.active())


@router.get("/leaderboard/rankings")
async def leaderboard(
    viewer: AnyViewer,
    services: ServicesDep,
    period: str = Query("all-time", max_length=16),
    metric: str = Query("wins", max_length=16),
    limit: int = Query(20, ge=1, le=100),
) -> Ok[Leaderboard]:
    return ok(services.pk.rankings.leaderboard(period, metric, limit))


@router.get("/user/{user_id}")
async def user_battles(user_id: str, user: CurrentUser, services: ServicesDep) -> Ok[UserBattles]:
    return ok(services.pk.for_user(user_id, user.id))


@router.get("/{battle_id}")
async def detail(
    battle_id: str, request: Request, viewer: AnyViewer, services: ServicesDep
) -> Ok[BattleDetail]:
    """The battle, its top supporters, and whether each host is live (publishing) right now."""
    standing = services.pk.standing(battle_id, viewer.id)
    live = live_user_ids(request)
    hosts = {
        side: LiveHost(**dict(host), live=None if live is None else host.id in live)
        for side, host in (("host1", standing.host1), ("host2", standing.host2))
    }
    return ok(BattleDetail(**{**dict(standing), **hosts}))


@router.post("/{battle_id}/accept")
async def accept(battle_id: str, user: CurrentUser, services: ServicesDep) -> Ok[Battle]:
    return ok(services.pk.accept(battle_id, user.id))


@router.delete("/{battle_id}")
async def leave(battle_id: str, user: CurrentUser, services: ServicesDep) -> Ok[Battle]:
    """Either host: cancel a pending challenge (the invited host declines it), or end a running
    battle early, which forfeits it: the other host wins and both are paid as at the normal end.
    """
    return ok(services.pk.leave(battle_id, user.id))
