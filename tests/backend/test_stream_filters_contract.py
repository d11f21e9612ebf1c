"""The stream-filters contract: OpenAPI documents every /api/stream-filters answer with its wire
model, the ``stream-filters:*`` events have declared payloads, and the wire's closed sets and
parameter declarations are the filters library's own."""

from __future__ import annotations

import json
from typing import get_args

import pytest

from filters import registry
from filters.base import Category
from filters.params import ParamType
from tests.backend.test_multihost_contract import _answer_model, _component
from tests.servers import LiveServer
from wire.events import StreamFilters
from wire.payloads import PAYLOADS
from wire.stream_filters import EVENTS, FilterCategory, ParamKind, ParamSpec

BASE = "/api/stream-filters"


@pytest.mark.one_engine  # the schema is the same whatever stores the data
def test_openapi_documents_every_stream_filter_answer(server: LiveServer) -> None:
    schema = server.app.openapi()
    answers = {
        f"{method.upper()} {path}": _answer_model(schema, operation)
        for path, item in schema["paths"].items()
        if path.startswith(BASE)
        for method, operation in item.items()
    }
    assert answers == {
        f"GET {BASE}": "[CatalogFilter]",
        f"GET {BASE}/trending": "[TrendingFilter]",
        f"GET {BASE}/featured": "[CatalogFilter]",
        f"GET {BASE}/category/{{category}}": "[CatalogFilter]",
        f"GET {BASE}/search": "[CatalogFilter]",
        f"GET {BASE}/user/favorites": "[FavoriteFilter]",
        f"GET {BASE}/user/unlocked": "[UnlockedFilter]",
        f"POST {BASE}/custom": "CustomFilter",
        f"GET {BASE}/custom": "[CustomFilter]",
        f"GET {BASE}/custom/{{custom_id}}": "CustomFilter",
        f"DELETE {BASE}/custom/{{custom_id}}": "CustomDeleted",
        f"GET {BASE}/{{filter_id}}": "CatalogFilter",
        f"POST {BASE}/{{filter_id}}/apply": "FilterApplied",
        f"POST {BASE}/{{filter_id}}/unlock": "Unlocked",
        f"POST {BASE}/{{filter_id}}/favorite": "Favorite",
        f"DELETE {BASE}/{{filter_id}}/favorite": "Favorite",
        f"POST {BASE}/{{filter_id}}/rate": "Rated",
    }
    unlocked = _component(schema, "Unlocked")
    assert {"filter", "coins", "balance"} <= set(unlocked["required"])
    # A parameter's optional keys are left out when they do not apply, so none is required.
    param = _component(schema, "ParamSpec")
    assert set(param["required"]) == {"name", "type", "label", "default", "neutral"}
    assert "max_length" in param["properties"]


def test_every_stream_filter_event_has_a_declared_payload() -> None:
    names = {value for key, value in vars(StreamFilters).items() if not key.startswith("_")}
    assert names == set(EVENTS)
    assert all(PAYLOADS[name] is EVENTS[name] for name in names)


def test_the_wire_sets_are_the_filters_librarys() -> None:
    assert get_args(FilterCategory) == tuple(category.value for category in Category)
    assert get_args(ParamKind) == tuple(kind.value for kind in ParamType)


def test_every_declared_parameter_goes_over_the_wire_unchanged() -> None:
    """Each parameter of each effect, parsed as the wire model and sent again, is the same JSON
    text: the keys that do not apply stay absent (not null), numbers keep their type."""
    for described in registry.describe_all():
        for declared in described["parameters"]:
            sent = ParamSpec.model_validate(declared).to_wire()
            assert json.dumps(sent) == json.dumps(declared), (described["id"], declared)
