"""/api/health: liveness and a few numbers, no auth."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from backend.api.deps import ServicesDep
from backend.api.responses import ok

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health(request: Request, services: ServicesDep) -> dict[str, Any]:
    hub = request.app.state.hub
    return ok(
        {
            "status": "ok",
            "schemaVersion": services.db.schema_version,
            "connections": len(hub.connections),
        }
    )
