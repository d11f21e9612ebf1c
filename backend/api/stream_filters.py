"""/api/stream-filters: the spec's twelve endpoints plus removing a favourite, the custom-filter
marketplace (list, one, delete) and one filter by id; thin over the parts of
``backend.services.stream_filters``.

Filter ids are the effect ids in code (``beauty.smooth``). Fixed paths are declared before
``/{filter_id}`` ones.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from backend.api.deps import AnyViewer, CurrentUser, IdempotencyKey, ServicesDep
from backend.api.models import Body
from backend.api.responses import answer_once, ok
from wire.base import Ok
from wire.stream_filters import (
    CatalogFilter,
    CustomDeleted,
    CustomFilter,
    Favorite,
    FavoriteFilter,
    FilterApplied,
    Rated,
    TrendingFilter,
    Unlocked,
    UnlockedFilter,
)

router = APIRouter(prefix="/api/stream-filters", tags=["stream-filters"])
Category = Annotated[str | None, Query(max_length=32)]
Limit = Annotated[int, Query(ge=1, le=100)]


class ApplyFilter(Body):
    streamId: str = Field(min_length=1, max_length=100)
    parameters: dict[str, Any] = Field(default_factory=dict)


class RateFilter(Body):
    rating: int = Field(strict=True)


class CustomEntry(Body):
    id: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class CreateCustom(Body):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    public: bool = False
    filters: list[CustomEntry] = Field(max_length=100)


@router.get("")
async def list_filters(
    viewer: AnyViewer, services: ServicesDep, category: Category = None
) -> Ok[list[CatalogFilter]]:
    return ok(services.stream_filters.catalog.listing(viewer.id, category))


@router.get("/trending")
async def trending(
    viewer: AnyViewer, services: ServicesDep, limit: Limit = 10
) -> Ok[list[TrendingFilter]]:
    return ok(services.stream_filters.catalog.trending(viewer.id, limit))


@router.get("/featured")
async def featured(
    viewer: AnyViewer, services: ServicesDep, limit: Limit = 12
) -> Ok[list[CatalogFilter]]:
    return ok(services.stream_filters.catalog.featured(viewer.id, limit))


@router.get("/category/{category}")
async def by_category(
    category: str, viewer: AnyViewer, services: ServicesDep
) -> Ok[list[CatalogFilter]]:
    return ok(services.stream_filters.catalog.by_category(viewer.id, category))


@router.get("/search")
async def search(
    viewer: AnyViewer,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    category: Category = None,
    limit: Limit = 50,
) -> Ok[list[CatalogFilter]]:
    return ok(services.stream_filters.search.find(viewer.id, q, category, limit))


@router.get("/user/favorites")
async def user_favorites(user: CurrentUser, services: ServicesDep) -> Ok[list[FavoriteFilter]]:
    return ok(services.stream_filters.reviews.favorites(user.id))


@router.get("/user/unlocked")
async def user_unlocked(user: CurrentUser, services: ServicesDep) -> Ok[list[UnlockedFilter]]:
    return ok(services.stream_filters.unlocks.unlocked(user.id))


@router.post("/custom", status_code=201)
async def create_custom(
    body: CreateCustom, user: CurrentUser, services: ServicesDep
) -> Ok[CustomFilter]:
    entries = [entry.model_dump() for entry in body.filters]
    return ok(
        services.stream_filters.custom.create(
            user.id, body.name, body.description, body.public, entries
        )
    )


@router.get("/custom")
async def custom_filters(
    viewer: AnyViewer,
    services: ServicesDep,
    scope: Annotated[str, Query(max_length=16)] = "marketplace",
    limit: Limit = 50,
) -> Ok[list[CustomFilter]]:
    return ok(services.stream_filters.custom.listing(viewer.id, scope, limit))


@router.get("/custom/{custom_id}")
async def custom_filter(
    custom_id: str, viewer: AnyViewer, services: ServicesDep
) -> Ok[CustomFilter]:
    return ok(services.stream_filters.custom.get(viewer.id, custom_id))


@router.delete("/custom/{custom_id}")
async def delete_custom(
    custom_id: str, user: CurrentUser, services: ServicesDep
) -> Ok[CustomDeleted]:
    return ok(services.stream_filters.custom.delete(user.id, custom_id))


@router.get("/{filter_id}")
async def detail(filter_id: str, viewer: AnyViewer, services: ServicesDep) -> Ok[CatalogFilter]:
    return ok(services.stream_filters.catalog.get(viewer.id, filter_id))


@router.post("/{filter_id}/apply")
async def apply(
    filter_id: str, body: ApplyFilter, user: CurrentUser, services: ServicesDep
) -> Ok[FilterApplied]:
    return ok(
        services.stream_filters.applications.apply(
            user.id, filter_id, body.streamId, body.parameters
        )
    )


@router.post("/{filter_id}/unlock")
async def unlock(
    filter_id: str,
    user: CurrentUser,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> Ok[Unlocked]:
    return await answer_once(
        services,
        user.id,
        f"filter-unlock:{filter_id}",
        idempotency_key,
        lambda: services.stream_filters.unlocks.unlock(user.id, filter_id),
        Unlocked,
        None,  # no body: the key names the filter
    )


@router.post("/{filter_id}/favorite")
async def favorite(filter_id: str, user: CurrentUser, services: ServicesDep) -> Ok[Favorite]:
    return ok(services.stream_filters.reviews.set_favorite(user.id, filter_id, True))


@router.delete("/{filter_id}/favorite")
async def unfavorite(filter_id: str, user: CurrentUser, services: ServicesDep) -> Ok[Favorite]:
    return ok(services.stream_filters.reviews.set_favorite(user.id, filter_id, False))


@router.post("/{filter_id}/rate")
async def rate(
    filter_id: str, body: RateFilter, user: CurrentUser, services: ServicesDep
) -> Ok[Rated]:
    return ok(services.stream_filters.reviews.rate(user.id, filter_id, body.rating))
