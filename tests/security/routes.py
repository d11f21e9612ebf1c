"""Every HTTP route of the app, read from its route table, with what an attacker would send.

New routes are picked up automatically: their path parameters fall back to ids that exist
nowhere, their body to ``{}``, and the universal rules apply to them (no token: 401; a guest
on a mutating route: 403; another user's object: 403/404 and nothing changes). Declaring a
route in ``WHO_MAY`` and ``BODIES`` adds it to the full role matrix.
"""

from __future__ import annotations

import functools
import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from backend.app import create_app
from backend.settings import Settings
from tests.security.world import ACCOUNTS, VOUCHER, World

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
SDP_OFFER = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
# Reachable without a token: signing in, the guest token, health and the viewer page.
PUBLIC = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/guest"),
    ("GET", "/api/health"),
    ("GET", "/"),
    ("GET", "/watch/{stream}"),
    ("GET", "/web/{path}"),
    ("GET", "/api/streams/{stream}/still"),  # an <img> on the home page: no header to send
    # A payment provider's webhook: its signature, not a token, says who sent it.
    ("POST", "/api/coins/webhook/{provider}"),
    # The sandbox provider's hosted checkout page: the buyer arrives without our token (as at
    # Stripe's), the checkout's unguessable id is the key.
    ("GET", "/coins/sandbox/{checkout_id}"),
    ("POST", "/coins/sandbox/{checkout_id}"),
}
HOSTS = ("owner", "cohost")
EVERYONE = ("guest", *ACCOUNTS)
# Who may call each mutating route on the world's live objects (the rest get 401/403/404).
# Allowed callers may still meet a 4xx of the domain (409 already ended, 400 self-gift...).
WHO_MAY: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/api/wallet/topup"): ACCOUNTS,
    ("POST", "/api/pk-battles"): ACCOUNTS,
    ("POST", "/api/pk-battles/{battle_id}/accept"): ("opponent",),
    ("POST", "/api/pk-battles/{battle_id}/gift"): ACCOUNTS,
    ("DELETE", "/api/pk-battles/{battle_id}"): ("owner", "opponent"),
    ("POST", "/api/multihost"): ACCOUNTS,
    ("POST", "/api/multihost/{session_id}/start"): ("owner",),
    ("POST", "/api/multihost/{session_id}/invite"): ("owner",),
    ("POST", "/api/multihost/{session_id}/accept"): ACCOUNTS,  # their own invitation only
    ("POST", "/api/multihost/{session_id}/request"): ACCOUNTS,
    ("POST", "/api/multihost/{session_id}/approve"): ("owner",),
    ("DELETE", "/api/multihost/{session_id}/hosts/{user_id}"): ("owner",),
    ("PUT", "/api/multihost/{session_id}/settings"): HOSTS,
    ("PUT", "/api/multihost/{session_id}/layout"): ("owner",),
    ("POST", "/api/multihost/{session_id}/end"): ("owner",),
    ("POST", "/api/multihost/{session_id}/leave"): HOSTS,
    ("POST", "/api/live-shopping"): ACCOUNTS,
    ("POST", "/api/live-shopping/{session_id}/start"): ("owner",),
    ("POST", "/api/live-shopping/{session_id}/end"): ("owner",),
    ("POST", "/api/live-shopping/{session_id}/products"): ("owner",),
    ("POST", "/api/live-shopping/{session_id}/products/pin"): ("owner",),
    ("POST", "/api/live-shopping/{session_id}/products/{product_id}/flash-sale"): ("owner",),
    ("POST", "/api/live-shopping/{session_id}/interactions"): EVERYONE,
    ("POST", "/api/live-shopping/{session_id}/checkout"): ACCOUNTS,
    ("POST", "/api/live-shopping/{session_id}/orders"): ACCOUNTS,
    ("PUT", "/api/live-shopping/{session_id}/orders/{order_id}"): ("owner",),
    ("POST", "/api/live-shopping/{session_id}/vouchers"): ("owner",),
    ("POST", "/api/live-shopping/{session_id}/vouchers/use"): ACCOUNTS,
    ("POST", "/api/products"): ACCOUNTS,
    ("PUT", "/api/products/{product_id}"): ("owner",),
    ("POST", "/whip/{stream}"): ("owner",),
    ("DELETE", "/whip/{stream}/{session_id}"): ("owner",),  # the stream's owner or its key
    ("PATCH", "/whip/{stream}/{session_id}"): ("owner",),  # the stream's owner or its key
    ("POST", "/whep/{stream}"): EVERYONE,
    ("DELETE", "/whep/{stream}/{session_id}"): EVERYONE,  # only one's own session (404)
    ("PATCH", "/whep/{stream}/{session_id}"): EVERYONE,  # only one's own session (404)
    ("POST", "/api/webrtc/offer"): ACCOUNTS,
    ("POST", "/api/webrtc/answer"): ACCOUNTS,
    ("POST", "/api/webrtc/ice-candidate"): ACCOUNTS,
    ("POST", "/api/webrtc/stream/start"): ACCOUNTS,
    ("POST", "/api/webrtc/quality/adapt"): EVERYONE,
    ("POST", "/api/webrtc/connection/monitor"): EVERYONE,
    ("POST", "/api/ws-ticket"): EVERYONE,  # a ticket for /ws as oneself
    ("POST", "/api/streams/{stream}/keys"): ("owner",),  # keys of one's own stream
    ("DELETE", "/api/streams/{stream}/keys/{key_id}"): ("owner",),
    ("POST", "/api/stream-filters/custom"): ACCOUNTS,
    ("DELETE", "/api/stream-filters/custom/{custom_id}"): ("owner",),
    ("POST", "/api/stream-filters/{filter_id}/apply"): ("owner",),  # to one's own stream
    ("POST", "/api/stream-filters/{filter_id}/unlock"): ACCOUNTS,
    ("POST", "/api/stream-filters/{filter_id}/favorite"): ACCOUNTS,
    ("DELETE", "/api/stream-filters/{filter_id}/favorite"): ACCOUNTS,
    ("POST", "/api/stream-filters/{filter_id}/rate"): ACCOUNTS,
    ("POST", "/api/streams/{stream}/chat"): ACCOUNTS,
    ("POST", "/api/streams/{stream}/gift"): ACCOUNTS,  # the owner gifting themselves: 400
    ("POST", "/api/coins/checkout"): ACCOUNTS,
    ("POST", "/api/streams/{stream}/chat/clear"): ("owner",),  # or a moderator of the stream
    ("PATCH", "/api/streams/{stream}/chat/settings"): ("owner",),
    ("PUT", "/api/streams/{stream}/chat/blocked-words"): ("owner",),
    ("POST", "/api/users/{user_id}/follow"): ACCOUNTS,  # anyone but oneself (the owner: 400)
    ("DELETE", "/api/users/{user_id}/follow"): ACCOUNTS,
    ("PUT", "/api/streams/{stream}/details"): ("owner",),
    ("POST", "/api/streams/{stream}/likes"): ACCOUNTS,
    ("POST", "/api/notifications/read"): ACCOUNTS,  # one's own
}
# Routes whose first allowed role succeeds (2xx) on a fresh world: proof the example is real.
SUCCEEDS = {key for key in WHO_MAY} - {
    ("POST", "/api/pk-battles"),  # the owner is already in a battle: 409
    ("POST", "/api/multihost"),  # ...and hosting a session: 409
    ("POST", "/api/pk-battles/{battle_id}/accept"),  # already accepted: 409
    ("POST", "/api/multihost/{session_id}/start"),  # already live: 409
    ("POST", "/api/multihost/{session_id}/accept"),  # no invitation for the viewer: 409
    ("POST", "/api/live-shopping/{session_id}/start"),  # already live: 409
    ("POST", "/whip/{stream}"),  # a real WebRTC offer is the media tests' business
    ("DELETE", "/whip/{stream}/{session_id}"),
    ("POST", "/whep/{stream}"),
    ("DELETE", "/whep/{stream}/{session_id}"),
    ("PATCH", "/whip/{stream}/{session_id}"),
    ("PATCH", "/whep/{stream}/{session_id}"),
    ("POST", "/api/webrtc/offer"),  # relays need a peer in the room over /ws
    ("POST", "/api/webrtc/answer"),
    ("POST", "/api/webrtc/ice-candidate"),
    ("POST", "/api/streams/{stream}/likes"),  # the stream is not live: 409
    ("POST", "/api/streams/{stream}/gift"),  # ...nor for a gift
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template, e.g. /api/pk-battles/{battle_id}
    params: tuple[str, ...]
    body_model: Any

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING

    @property
    def public(self) -> bool:
        return self.key in PUBLIC

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def routes_of(app: FastAPI) -> list[Route]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.path:
            continue
        path = PARAM.sub(lambda m: "{" + m.group(1) + "}", context.path)
        body = route.body_field.field_info.annotation if route.body_field else None
        for method in sorted(context.methods or ()):
            found.append(Route(method, path, tuple(PARAM.findall(context.path)), body))
    return found


@functools.cache
def current_routes() -> tuple[Route, ...]:
    """The routes of a freshly built app (for parametrising at collection time)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(db_path=Path(folder) / "routes.sqlite3", jwt_secret="r" * 40))
        try:
            return tuple(routes_of(app))
        finally:
            app.state.services.db.close()


def path_value(route: Route, param: str, world: World, private: bool) -> str:
    """The id to put in ``param``: the world's object (its private variant if asked)."""
    ids, prefix = world.ids, route.path
    if param == "battle_id":
        return ids["pending_battle" if private else "battle"]
    if param == "session_id" and "multihost" in prefix:
        return ids["draft_multihost" if private else "multihost"]
    if param == "session_id" and prefix.startswith("/api/live-shopping"):
        return ids["draft_shop" if private and "order_id" not in route.params else "shop"]
    if param == "order_id":
        return ids["order"]
    if param == "product_id":  # a shop's product is in the session; a catalogue edit any
        return ids["product" if prefix.startswith("/api/live-shopping") else "stash"]
    if param == "user_id" and "/hosts/" in prefix:
        return world.actor("cohost").id
    if param == "user_id":  # a profile: the rival has a private battle and session
        return ids["rival_id"] if private else world.actor("owner").id
    if param == "stream":
        return ids["rival_name"] if private else world.actor("owner").username
    if param == "key_id":
        return ids["stream_key"]
    if param == "filter_id":
        return ids["premium_filter" if route.path.endswith("/unlock") else "free_filter"]
    if param == "custom_id":
        return ids["custom_filter"]
    if param == "path":
        return "js/app.js"
    return str(uuid.uuid4())  # a route nobody described yet: an id that exists nowhere


def url(route: Route, world: World, private: bool = False) -> str:
    path = route.path
    for param in route.params:
        path = path.replace("{" + param + "}", path_value(route, param, world, private))
    return path


def body(route: Route, world: World) -> dict[str, Any]:
    """A valid body for ``route`` in ``world`` (``{}`` for routes not described here)."""
    ids, actor = world.ids, world.actor
    room = {"roomId": f"battle-{ids['battle']}", "to": actor("opponent").id}
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/auth/register"): {
            "username": f"r{uuid.uuid4().hex[:8]}",
            "password": "p" * 9,
        },
        ("POST", "/api/auth/login"): {"username": actor("owner").username, "password": "p" * 9},
        ("POST", "/api/wallet/topup"): {"coins": 5},
        ("POST", "/api/pk-battles"): {"opponent": ids["rival_id"], "duration": 1},
        ("POST", "/api/pk-battles/{battle_id}/gift"): {
            "giftId": "rose",
            "quantity": 1,
            "toHost": actor("owner").id,
        },
        ("POST", "/api/multihost"): {"title": "New", "type": "panel"},
        ("POST", "/api/multihost/{session_id}/invite"): {"userId": actor("viewer").id},
        ("POST", "/api/multihost/{session_id}/request"): {"message": "let me in"},
        ("POST", "/api/multihost/{session_id}/approve"): {"userId": ids["asker_id"]},
        ("PUT", "/api/multihost/{session_id}/settings"): {"audioEnabled": False},
        ("PUT", "/api/multihost/{session_id}/layout"): {"mode": "spotlight"},
        ("POST", "/api/live-shopping"): {"title": "More"},
        ("POST", "/api/live-shopping/{session_id}/products"): {"productId": ids["stash"]},
        ("POST", "/api/live-shopping/{session_id}/products/pin"): {"productId": ids["product"]},
        ("POST", "/api/live-shopping/{session_id}/products/{product_id}/flash-sale"): {
            "price": 80,
            "quantity": 5,
            "expiresIn": 60_000,
        },
        ("POST", "/api/live-shopping/{session_id}/interactions"): {
            "productId": ids["product"],
            "type": "view",
        },
        ("POST", "/api/live-shopping/{session_id}/checkout"): {
            "productId": ids["product"],
            "voucherCode": VOUCHER,
        },
        ("POST", "/api/live-shopping/{session_id}/orders"): {"productId": ids["product"]},
        ("PUT", "/api/live-shopping/{session_id}/orders/{order_id}"): {"status": "fulfilled"},
        ("POST", "/api/live-shopping/{session_id}/vouchers"): {
            "code": "MORE5",
            "type": "fixed",
            "value": 5,
        },
        ("POST", "/api/live-shopping/{session_id}/vouchers/use"): {"code": VOUCHER},
        ("POST", "/api/products"): {"name": "Cup", "price": 10, "stock": 1},
        ("PUT", "/api/products/{product_id}"): {"price": 11},
        ("POST", "/api/webrtc/offer"): {"sdp": SDP_OFFER, **room},
        ("POST", "/api/webrtc/answer"): {"sdp": SDP_OFFER, **room},
        ("POST", "/api/webrtc/ice-candidate"): {"candidate": None, **room},
        ("POST", "/api/webrtc/stream/start"): {},
        ("PUT", "/api/streams/{stream}/details"): {"title": "Tonight", "category": "Music"},
        ("POST", "/api/streams/{stream}/likes"): {"count": 1},
        ("POST", "/api/notifications/read"): {},
        ("POST", "/api/webrtc/quality/adapt"): {"rtt": 30, "packetLoss": 0.1, "bitrate": 2500},
        ("POST", "/api/webrtc/connection/monitor"): {"rtt": 30},
        ("POST", "/api/stream-filters/custom"): {
            "name": "Look",
            "filters": [{"id": ids["free_filter"]}],
        },
        ("POST", "/api/stream-filters/{filter_id}/apply"): {"streamId": actor("owner").username},
        ("POST", "/api/stream-filters/{filter_id}/rate"): {"rating": 4},
        ("POST", "/api/streams/{stream}/chat"): {"text": "hello"},
        ("POST", "/api/streams/{stream}/gift"): {"giftId": "rose"},
        ("POST", "/api/coins/checkout"): {"packageId": "coins-100"},
        ("PATCH", "/api/streams/{stream}/chat/settings"): {"slowModeSeconds": 5},
        ("PUT", "/api/streams/{stream}/chat/blocked-words"): {"words": ["spam*"]},
    }
    return bodies.get(route.key, {})


def request_args(route: Route, world: World) -> dict[str, Any]:
    """Keyword arguments for ``World.call``: SDP for the media routes, JSON otherwise."""
    if route.path.startswith(("/whip/", "/whep/")) and route.method == "POST":
        return {"content": SDP_OFFER, "headers": {"Content-Type": "application/sdp"}}
    if route.mutating and route.method != "DELETE":
        return {"json": body(route, world)}
    return {}


def declared(routes: tuple[Route, ...]) -> Iterator[Route]:
    return (r for r in routes if r.key in WHO_MAY)
