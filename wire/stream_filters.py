"""The stream-filters catalog: REST answers of /api/stream-filters and ``stream-filters:applied``.

A catalog filter is an effect of the filters library as one user sees it: its declared
parameters, price, use, favourites, ratings and whether this user has it unlocked. A custom
filter is a user's preset (a chain of catalog filters with chosen values), private or shared.
"""

from __future__ import annotations

from typing import Literal

from wire.base import Replayable, Timestamp, WireModel, absent_when_none
from wire.events import StreamFilters
from wire.users import UserCard
from wire.wallet import Balance

# The same sets as ``filters.base.Category`` and ``filters.params.ParamType`` (a test holds
# them equal; the contract package imports nothing else of ours).
FilterCategory = Literal["beauty", "makeup", "ar", "color", "background", "overlay", "voice"]
ParamKind = Literal["float", "int", "bool", "color", "choice", "file", "text"]
CustomScope = Literal["marketplace", "mine"]
ParamValue = bool | int | float | str | None


class ParamSpec(WireModel):
    """One declared parameter of a filter (``filters.params.Param.describe``): the studio builds
    its control from this. The optional keys are absent, never null, when they do not apply."""

    name: str
    type: ParamKind
    label: str
    default: ParamValue
    neutral: ParamValue  # the value at which the effect does nothing (None: there is none)
    min: int | float | None = absent_when_none()
    max: int | float | None = absent_when_none()
    step: int | float | None = absent_when_none()
    unit: str | None = absent_when_none()
    choices: list[str] | None = absent_when_none()
    help: str | None = absent_when_none()
    extensions: list[str] | None = absent_when_none()
    max_length: int | None = absent_when_none("max_length")  # text only; snake_case on the wire


class FilterRating(WireModel):
    average: float | None  # None until someone rates it
    count: int


class CatalogFilter(WireModel):
    """A filter of the catalog as the asking user sees it."""

    id: str  # the effect id in code, e.g. ``beauty.smooth``
    name: str
    description: str
    category: FilterCategory
    version: str
    premium: bool
    price: int  # coins to unlock it; 0 for a free filter
    tags: list[str]
    needs: list[str]  # what the filter asks of each frame (face landmarks, the person mask)
    parameters: list[ParamSpec]
    featured: bool
    usage_count: int
    favorite_count: int
    rating: FilterRating
    favorited: bool
    unlocked: bool  # premium and bought by this user
    locked: bool  # premium and not bought by this user
    my_rating: int | None


class TrendingFilter(CatalogFilter):
    recent_uses: int  # applied this many times in the trending window
    recent_users: int  # by this many users


class FavoriteFilter(CatalogFilter):
    favorited_at: Timestamp


class UnlockedFilter(CatalogFilter):
    unlocked_at: Timestamp
    paid: int  # coins paid at the time


class Unlocked(Replayable):
    """``POST /{id}/unlock``: the filter now unlocked, its price and the balance after paying."""

    filter: CatalogFilter
    coins: int
    balance: Balance


class Favorite(WireModel):
    filter_id: str
    favorited: bool
    favorite_count: int


class Rated(WireModel):
    filter_id: str
    my_rating: int
    updated: bool  # the user had rated it before; this replaced that rating
    rating: FilterRating


class ChainEntry(WireModel):
    """One step of a preset (``filters.presets.PresetEntry`` as JSON)."""

    id: str
    params: dict[str, ParamValue]
    enabled: bool


class CustomPreset(WireModel):
    """A preset file's JSON, exactly what the studio loads (``filters.presets.Preset``)."""

    format: int
    name: str
    description: str
    filters: list[ChainEntry]


class CustomFilter(WireModel):
    id: str
    name: str
    description: str
    public: bool
    author: UserCard
    preset: CustomPreset
    filter_ids: list[str]  # each filter of the chain once, in chain order
    premium_filter_ids: list[str]
    locked_filter_ids: list[str]  # premium ones the asking user has not unlocked
    available: bool  # every filter of the chain is still offered
    created_at: Timestamp
    updated_at: Timestamp


class CustomDeleted(WireModel):
    id: str
    deleted: Literal[True] = True


# ---- events ---------------------------------------------------------------------------------
class AppliedFilter(WireModel):
    id: str
    name: str
    category: FilterCategory
    version: str
    premium: bool


class FilterApplied(WireModel):
    """A filter applied on a stream: the answer of ``POST /{id}/apply`` and the event to the
    stream's room and the streamer's own connections."""

    id: str
    stream_id: str  # canonical: ``username`` or ``username~label``
    filter_id: str
    filter: AppliedFilter
    parameters: dict[str, ParamValue]  # every parameter, validated and filled with defaults
    user: UserCard
    applied_at: Timestamp


EVENTS: dict[str, type[WireModel]] = {StreamFilters.APPLIED: FilterApplied}
