"""/api/health: liveness and a few numbers, no auth."""

from __future__ import annotations

from fastapi import APIRouter, Request

from backend.api.deps import ServicesDep
from backend.api.responses import ok
from wire.base import Ok
from wire.health import Health

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health(request: Request, services: ServicesDep) -> Ok[Health]:
    hub = request.app.state.hub
    return ok(
        Health(
            status="ok",
            schema_version=services.db.schema_version,
            connections=len(hub.connections),
        )
    )
