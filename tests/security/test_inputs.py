"""What clients send: server-owned fields are refused in every body, user text is kept as given
and never becomes markup on the viewer page."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tests.security.routes import WHO_MAY, Route, body, current_routes, url
from tests.security.world import World, digest
from tests.servers import LiveServer

ROUTES = current_routes()
WEB = Path(__file__).resolve().parents[2] / "backend" / "web"
# Numbers and facts only the server decides (a body that names one is refused whole).
SERVER_OWNED = {
    "id": "forged-id",
    "status": "ended",
    "score": 10**6,
    "scores": {"host1": 10**6},
    "host1Score": 10**6,
    "winner": "me",
    "winnerId": "me",
    "stock": 10**6,
    "sellerId": "me",
    "primaryHostId": "me",
    "authorId": "me",
    "ownerId": "me",
    "balance": 10**6,
    "coins": 10**6,
    "total": 0,
    "role": "admin",
    "createdAt": "2000-01-01T00:00:00Z",
    "usageCount": 10**6,
    "premium": False,
    "price": 0,
    "endsAt": "2999-01-01T00:00:00Z",
}
TRICKY = (
    "<script>alert('x')</script> <img src=x onerror=alert(1)> & \"quotes\" 'single'"
    " ✨ 中文 עברית \u200b %s {0} ${x} `id` \\ -- ; DROP TABLE users; \U0001f600"
)


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """Every pydantic model reachable from a body annotation (unions, lists, nested fields)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        nested = [m for f in annotation.model_fields.values() for m in models_in(f.annotation)]
        return [annotation, *nested]
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or args:
        return [m for arg in args for m in models_in(arg)]
    return []


def test_every_request_body_refuses_unknown_fields() -> None:
    loose = {
        f"{route} {model.__name__}"
        for route in ROUTES
        for model in models_in(route.body_model)
        if model.model_config.get("extra") != "forbid"
    }
    assert not loose, f"bodies that accept unknown fields: {sorted(loose)}"


BODY_ROUTES = [r for r in ROUTES if r.key in WHO_MAY and r.body_model is not None]


@pytest.mark.parametrize("route", BODY_ROUTES, ids=str)
def test_server_owned_fields_are_refused(route: Route, world: World, live: LiveServer) -> None:
    declared = {name for m in models_in(route.body_model) for name in m.model_fields}
    role = WHO_MAY[route.key][0]
    before = digest(live.settings)
    for field, value in SERVER_OWNED.items():
        if field in declared:
            continue
        sent = {**body(route, world), field: value}
        response = world.call(role, route.method, url(route, world), json=sent)
        assert response.status_code == 422, f"{field}: {response.text}"
        assert field in response.json()["error"]["message"]
    assert digest(live.settings) == before


def test_user_text_is_stored_and_returned_as_given(world: World, live: LiveServer) -> None:
    name = TRICKY[:80]  # titles and names have length limits; descriptions take it all
    text = {"title": name, "description": TRICKY}
    battle = world.data(
        "viewer",
        "POST",
        "/api/pk-battles",
        json={"opponent": world.ids["rival2_id"], "duration": 1, "title": name},
    )
    shop = world.data("viewer", "POST", "/api/live-shopping", json=text)
    session = world.data("viewer", "POST", "/api/multihost", json={**text, "type": "panel"})
    product = world.data(
        "viewer",
        "POST",
        "/api/products",
        json={"name": name, "description": TRICKY, "price": 5, "stock": 1},
    )
    custom = world.data(
        "viewer",
        "POST",
        "/api/stream-filters/custom",
        json={"name": name, "description": TRICKY, "filters": [{"id": world.ids["free_filter"]}]},
    )
    reads = {
        f"/api/pk-battles/{battle['id']}": {"title": name},
        f"/api/live-shopping/{shop['id']}": text,
        f"/api/multihost/{session['id']}": text,
        f"/api/products/{product['id']}": {"name": name, "description": TRICKY},
        f"/api/stream-filters/custom/{custom['id']}": {"name": name, "description": TRICKY},
    }
    for path, expected in reads.items():
        stored = world.data("viewer", "GET", path)
        assert {field: stored[field] for field in expected} == expected, path
    row = live.app.state.services.db.one(
        "SELECT title FROM pk_battles WHERE id = ?", (battle["id"],)
    )
    assert row == {"title": name}


def test_the_viewer_page_never_turns_data_into_markup() -> None:
    """Text reaches the page through textContent; no script builds HTML from strings."""
    sinks = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|Function\("
    )
    offenders = [
        f"{path.relative_to(WEB)}:{n}"
        for path in sorted(WEB.rglob("*.js"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if sinks.search(line)
    ]
    assert not offenders, offenders
