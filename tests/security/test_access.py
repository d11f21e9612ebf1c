"""Object- and function-level access for every route of the app's route table.

* No token: 401 everywhere but the public routes. A guest token on a mutating route: 403
  unless the route is for viewers too.
* Another user's private object (a pending battle, a draft session, a product, an order):
  403/404, no trace of it in the answer, and not one row of the database changed.
* The role matrix: for each mutating route, every role that may not call it is refused and
  changes nothing; the first role that may succeeds on a fresh world.
"""

from __future__ import annotations

import httpx
import pytest

from tests.security.routes import (
    EVERYONE,
    SUCCEEDS,
    WHO_MAY,
    Route,
    current_routes,
    declared,
    request_args,
    url,
)
from tests.security.world import ROLES, World, build_world, digest
from tests.servers import LiveServer

ROUTES = current_routes()
# Public reads about another user: their profile, stream page and live state.
OPEN_READS = {
    ("GET", "/api/pk-battles/user/{user_id}"),
    ("GET", "/api/multihost/user/{user_id}"),
    ("GET", "/api/streams/{stream}"),
    ("GET", "/api/streams/{stream}/chat"),  # a stream's chat is as public as the stream
    ("GET", "/api/streams/{stream}/chat/settings"),
    ("GET", "/api/streams/{stream}/moderators"),
    ("GET", "/api/streams/{stream}/details"),  # the title viewers see
    ("GET", "/api/users/{user_id}"),  # a profile: names and follower counts
    ("GET", "/api/webrtc/stream/{stream}/join"),
    ("GET", "/watch/{stream}"),
    ("GET", "/web/{path}"),
    ("POST", "/whep/{stream}"),  # playing a public stream; this one is not live
}
OUTSIDERS = ("anon", "guest", "viewer")
CATALOG_PARAMS = {"filter_id"}  # the filter catalog belongs to nobody
# Actions on something public to every account: any stream's chat takes anyone's message, any
# streamer may be followed, any live liked (the role matrix and the features' own tests cover
# who may do what there).
OPEN_ACTIONS = {
    ("POST", "/api/streams/{stream}/chat"),
    ("POST", "/api/users/{user_id}/follow"),  # anyone may follow anyone (but themselves)
    ("DELETE", "/api/users/{user_id}/follow"),
    ("POST", "/api/streams/{stream}/likes"),  # any live stream
    ("POST", "/api/streams/{stream}/gift"),  # any live takes anyone's gift
}
OBJECT_ROUTES = [
    r
    for r in ROUTES
    if set(r.params) - CATALOG_PARAMS and not r.public and r.key not in OPEN_ACTIONS
]


def refused(role: str) -> set[int]:
    return {401} if role == "anon" else {403, 404}


def test_the_route_table_is_read() -> None:
    keys = {route.key for route in ROUTES}
    assert ("POST", "/api/pk-battles/{battle_id}/gift") in keys
    assert ("PUT", "/api/live-shopping/{session_id}/orders/{order_id}") in keys
    assert set(WHO_MAY) <= keys, "WHO_MAY names a route the app no longer has"


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.public], ids=str)
def test_no_token_is_401_and_guests_cannot_act(route: Route, world: World) -> None:
    response = world.call("anon", route.method, url(route, world), **request_args(route, world))
    assert response.status_code == 401, response.text
    assert response.json()["success"] is False
    if route.mutating and route.key not in {k for k, who in WHO_MAY.items() if who == EVERYONE}:
        as_guest = world.call(
            "guest", route.method, url(route, world), **request_args(route, world)
        )
        assert as_guest.status_code == 403, as_guest.text


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_other_users_private_objects_give_nothing_away(
    route: Route, world: World, live: LiveServer
) -> None:
    private = world.private_ids()
    for role in OUTSIDERS:
        before = digest(live.settings)
        response = world.call(
            role, route.method, url(route, world, private=True), **request_args(route, world)
        )
        status = response.status_code
        if route.key in OPEN_READS and role != "anon":
            assert status < 500, response.text
        elif route.mutating and route.key not in WHO_MAY and role != "anon":
            # A route nobody described yet gets ``{}``: its validation may answer first.
            assert status in {403, 404, 422}, f"{role}: {status} {response.text}"
        else:
            assert status in refused(role), f"{role}: {status} {response.text}"
        assert not {i for i in private if i in response.text}, f"{role} saw {response.text}"
        assert digest(live.settings) == before, f"{role} changed the database"


@pytest.mark.parametrize("route", list(declared(ROUTES)), ids=str)
def test_role_matrix(route: Route, live: LiveServer, http: httpx.Client) -> None:
    world = build_world(live, http)
    allowed = WHO_MAY[route.key]
    for role in ROLES:
        if role in allowed:
            continue
        before = digest(live.settings)
        response = world.call(role, route.method, url(route, world), **request_args(route, world))
        assert response.status_code in refused(role), f"{role}: {response.text}"
        assert digest(live.settings) == before, f"{role} changed the database"
    for role in allowed:
        response = world.call(role, route.method, url(route, world), **request_args(route, world))
        if role == allowed[0] and route.key in SUCCEEDS:
            assert response.status_code < 300, f"{role}: {response.text}"
        assert response.status_code not in (401, 403), f"{role}: {response.text}"
        assert response.status_code < 500, f"{role}: {response.text}"


def test_a_wallet_is_only_ever_ones_own(world: World, live: LiveServer) -> None:
    wallet = live.app.state.services.wallet
    buyer = world.actor("buyer").id
    mine = world.data("viewer", "GET", "/api/wallet", params={"userId": buyer})
    assert all(entry["refId"] != world.ids["order"] for entry in mine["history"])
    assert mine["coins"] == wallet.balance(world.actor("viewer").id)["coins"]
    assert mine["coins"] != wallet.balance(buyer)["coins"]
