"""/metrics (Prometheus text format) and /api/admin/analytics (the same numbers as JSON).

Both are for administrators (``users.role = 'admin'``, granted with ``onair admin grant``):
the figures include revenue. Prometheus scrapes ``/metrics`` with
``authorization: {credentials: <token>}``, either an admin's JWT or, better for a scrape job
that runs for months, the static ``ONAIR_METRICS_TOKEN`` the backend was started with.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from backend.api.deps import CurrentUser, ServicesDep, any_viewer, bearer_token, signed_in
from backend.api.responses import ok
from backend.errors import Forbidden
from backend.identity import AuthUser
from backend.realtime.hub import Hub
from backend.services.analytics import PREFIX
from wire.analytics import Analytics, RealtimeFigures
from wire.base import Ok

ADMIN_ROLE = "admin"


def realtime_stats(hub: Hub) -> RealtimeFigures:
    return RealtimeFigures(
        connections=len(hub.connections),
        rooms=len(hub.rooms),
        slow_clients_dropped=hub.dropped_slow,
        binary_frames_refused=hub.binary_frames_refused,
    )


class _HubCollector(Collector):
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        stats = realtime_stats(self.hub)
        yield GaugeMetricFamily(
            f"{PREFIX}_ws_connections", "Open WebSocket connections.", stats.connections
        )
        yield GaugeMetricFamily(f"{PREFIX}_ws_rooms", "Rooms with members.", stats.rooms)
        yield GaugeMetricFamily(
            f"{PREFIX}_asyncio_tasks", "Tasks on the event loop.", len(asyncio.all_tasks())
        )
        yield CounterMetricFamily(
            f"{PREFIX}_ws_slow_clients_dropped",
            "Connections dropped because their send queue filled up.",
            stats.slow_clients_dropped,
        )
        yield CounterMetricFamily(
            f"{PREFIX}_ws_binary_frames_refused",
            "Connections closed with 1003 because they sent a binary frame.",
            stats.binary_frames_refused,
        )


@contextlib.asynccontextmanager
async def metrics_lifespan(app: FastAPI) -> AsyncIterator[None]:
    registry = app.state.services.analytics.registry
    collector = _HubCollector(app.state.hub)
    registry.register(collector)
    try:
        yield
    finally:
        registry.unregister(collector)


router = APIRouter(tags=["admin"], lifespan=metrics_lifespan)


async def require_admin(user: CurrentUser) -> AuthUser:
    if user.role != ADMIN_ROLE:
        raise Forbidden("Only administrators can read the analytics.", code="admin_required")
    return user


Admin = Annotated[AuthUser, Depends(require_admin)]


async def require_scraper(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """The configured metrics token, or else an administrator's token."""
    expected = services.settings.metrics_token
    if expected and hmac.compare_digest(bearer_token(authorization), expected):
        return
    await require_admin(await signed_in(await any_viewer(services, authorization)))


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_scraper)])
async def metrics(services: ServicesDep) -> Response:
    return Response(generate_latest(services.analytics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/admin/analytics")
async def analytics(admin: Admin, services: ServicesDep, request: Request) -> Ok[Analytics]:
    figures = services.analytics.report()
    realtime = realtime_stats(request.app.state.hub)
    return ok(Analytics.model_validate({**dict(figures), "realtime": realtime}))
