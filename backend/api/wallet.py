"""/api/wallet and /api/gifts: balances, ledger history, the dev top-up, the gift catalog."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, ServicesDep
from backend.api.models import Body
from backend.api.responses import ok
from backend.errors import Forbidden
from wire.base import Ok
from wire.wallet import Balance, Gift, WalletView

router = APIRouter(tags=["wallet"])


class TopUp(Body):
    coins: int = Field(ge=1, le=100_000)


@router.get("/api/wallet")
async def wallet(user: CurrentUser, services: ServicesDep) -> Ok[WalletView]:
    return ok(services.wallet.view(user.id))


@router.post("/api/wallet/topup")
async def topup(body: TopUp, user: CurrentUser, services: ServicesDep) -> Ok[Balance]:
    if not services.settings.allow_topup:
        raise Forbidden("Top-ups are only available in demo/dev mode.", code="topup_disabled")
    return ok(services.wallet.topup(user.id, body.coins))


@router.get("/api/gifts")
async def gifts(viewer: AnyViewer, services: ServicesDep) -> Ok[list[Gift]]:
    return ok(services.gifts.presented())
