"""The rules of the filters catalog that need no database: categories, what a search may ask,
ratings, what a custom filter may hold, and a filter's parameters checked against the code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, get_args

from backend.errors import Forbidden, InvalidInput, NotFound
from backend.storage.db import Row
from filters import registry
from filters.params import ParamType
from wire.stream_filters import CustomScope, FilterCategory

CATEGORIES: tuple[str, ...] = get_args(FilterCategory)
CUSTOM_SCOPES: tuple[str, ...] = get_args(CustomScope)
TRENDING_WINDOW = timedelta(days=7)
# Seeded as featured when a filter first enters the catalog (one or two per kind of effect).
CURATED = frozenset(
    {
        "beauty.smooth",
        "beauty.reshape",
        "makeup.lipstick",
        "ar.particles",
        "color.cinematic",
        "background.blur",
        "voice.robot",
    }
)
MAX_CUSTOM_ENTRIES = 20
MAX_NAME, MAX_DESCRIPTION = 80, 500
MAX_QUERY_WORDS = 8
# What a public custom filter may name in a file parameter: a bundled asset, never a path on
# its author's machine (another user's studio would try to open it).
BUNDLED_ASSET = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CATALOG_FIELDS = (
    "name",
    "description",
    "category",
    "version",
    "premium",
    "price",
    "tags",
    "needs",
    "parameters",
    "sortOrder",
)
"""The columns that come from the code: a row whose values differ is brought up to date."""


def check_category(category: str | None) -> None:
    """A category asked for as a filter of a listing (None: every category)."""
    if category is not None and category not in CATEGORIES:
        raise InvalidInput(
            f"category must be one of {', '.join(CATEGORIES)}.", code="invalid_category"
        )


def require_category(category: str) -> None:
    """A category named in the path: one that does not exist is not found."""
    if category not in CATEGORIES:
        raise NotFound(
            f"There is no category '{category}'; there are {', '.join(CATEGORIES)}.",
            code="category_not_found",
        )


def search_words(query: str) -> list[str]:
    words = query.lower().split()
    if not words:
        raise InvalidInput("Type something to search for.", code="invalid_query")
    if len(words) > MAX_QUERY_WORDS:
        raise InvalidInput(f"Search with at most {MAX_QUERY_WORDS} words.", code="invalid_query")
    return words


def like(word: str) -> str:
    """A LIKE pattern (with ``ESCAPE '\\'``) matching ``word`` anywhere, taken literally."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def check_rating(rating: int) -> None:
    if not 1 <= rating <= 5:
        raise InvalidInput("rating must be a whole number from 1 to 5.", code="invalid_rating")


def check_custom(name: str, description: str, entries: int) -> None:
    """A custom filter's name, description (both stripped) and number of chained filters."""
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInput(
            f"Give the filter a name of 1–{MAX_NAME} characters.", code="invalid_name"
        )
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"Keep the description under {MAX_DESCRIPTION} characters.",
            code="invalid_description",
        )
    if not 1 <= entries <= MAX_CUSTOM_ENTRIES:
        raise InvalidInput(
            f"A custom filter chains 1–{MAX_CUSTOM_ENTRIES} filters.", code="invalid_filters"
        )


def validated(filter_id: str, parameters: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    """Every parameter of the filter: the given ones checked against its declared ranges, the
    others at their defaults. ``where`` prefixes the message (which entry of a chain)."""
    try:
        return registry.validate(filter_id, dict(parameters))
    except registry.UnknownFilter:
        raise NotFound(f"There is no filter '{filter_id}'.", code="filter_not_found") from None
    except ValueError as exc:  # ParamError names the parameter
        raise InvalidInput(f"{where}{exc}", code="invalid_parameter") from None


def require_unlocked(row: Row, unlocked: bool, where: str = "") -> None:
    """A premium filter is used only once its user unlocked it."""
    if not row["premium"] or unlocked:
        return
    if where:
        message = (
            f"{where}unlock '{row['name']}' ({row['price']} coins) before using it in a"
            " custom filter."
        )
    else:
        message = f"'{row['name']}' is a premium filter: unlock it for {row['price']} coins first."
    raise Forbidden(message, code="filter_locked")


def check_shareable(filter_id: str, chosen: Mapping[str, Any], where: str) -> None:
    """A shared custom filter's file parameters name bundled assets, not the author's paths."""
    effect = registry.get(filter_id)
    for key, value in chosen.items():
        param = effect.param(key)
        if param.type is ParamType.FILE and not BUNDLED_ASSET.match(value):
            raise InvalidInput(
                f"{where}{key}: a shared filter can only use bundled files (a name like"
                f" '{param.default}'), not a path on your computer.",
                code="file_not_shareable",
            )


def average(row: Row) -> float | None:
    """A filter's mean rating to two places (None while nobody rated it)."""
    return round(row["ratingSum"] / row["ratingCount"], 2) if row["ratingCount"] else None
