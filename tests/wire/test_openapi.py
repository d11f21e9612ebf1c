"""Every route declares its answer's model, so OpenAPI (and schemathesis) know it; the few that
answer something other than a JSON envelope are listed here by name."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute, APIWebSocketRoute

from backend.app import ROUTERS, create_app
from backend.settings import Settings
from tests.wire.openapi import documented_answers

Route = tuple[str, str]  # (method, path)

NOT_JSON: frozenset[Route] = frozenset(
    {
        # WHIP/WHEP (RFC 9725): SDP offers and answers, trickled ICE fragments
        ("post", "/whip/{stream}"),
        ("delete", "/whip/{stream}/{session_id}"),
        ("patch", "/whip/{stream}/{session_id}"),
        ("post", "/whep/{stream}"),
        ("delete", "/whep/{stream}/{session_id}"),
        ("patch", "/whep/{stream}/{session_id}"),
        # the viewer pages and their assets
        ("get", "/"),
        ("get", "/watch/{stream}"),
        ("get", "/web/{path:path}"),
        # a live stream's recent frame (JPEG) for the home page
        ("get", "/api/streams/{stream}/still"),
        # the sandbox payment provider's hosted checkout page and its form
        ("get", "/coins/sandbox/{checkout_id}"),
        ("post", "/coins/sandbox/{checkout_id}"),
        # Prometheus text format
        ("get", "/metrics"),
        # the real-time link (its events have models of their own: wire.payloads)
        ("websocket", "/ws"),
    }
)


def all_routes() -> set[Route]:
    routes: set[Route] = set()
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                routes.update((method.lower(), route.path) for method in route.methods)
            elif isinstance(route, APIWebSocketRoute):
                routes.add(("websocket", route.path))
    return routes


def test_every_route_documents_its_answer(settings: Settings) -> None:
    answers = documented_answers(create_app(settings).openapi(), "")
    routes = all_routes()
    assert set(answers) <= routes, "a route of the app is missing from ROUTERS"
    untyped = sorted(route for route in routes - NOT_JSON if answers.get(route) is None)
    assert not untyped, f"routes without an answer model: {untyped}"


def test_the_exceptions_are_routes_of_the_app() -> None:
    assert sorted(NOT_JSON - all_routes()) == []


def test_a_stream_snapshot_documents_its_sessions_and_a_statistics_body(settings: Settings) -> None:
    """The viewer page's one read types the streamer's co-host and shopping sessions (the same
    models as their own routes); a posted link report is the ``webrtc:stats-update`` model."""
    spec = create_app(settings).openapi()
    snapshot = spec["components"]["schemas"]["StreamSnapshot"]["properties"]
    assert _refs(snapshot["multihost"]) == ["CohostSession"]
    assert _refs(snapshot["shopping"]) == ["ShopSession"]
    for path in ("/api/webrtc/quality/adapt", "/api/webrtc/connection/monitor"):
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        fields = spec["components"]["schemas"][name]
        assert set(fields["properties"]) == {
            "roomId",
            "rtt",
            "packetLoss",
            "bitrate",
            "fps",
            "jitter",
        }
        assert fields["additionalProperties"] is False


def _refs(schema: dict[str, Any]) -> list[str]:
    return [option["$ref"].rsplit("/", 1)[-1] for option in schema["anyOf"] if "$ref" in option]


def test_the_co_host_bodies_are_the_wire_models_the_studio_sends(settings: Settings) -> None:
    spec = create_app(settings).openapi()
    bodies = {
        (method, path): operation["requestBody"]["content"]["application/json"]["schema"]
        for path, operations in spec["paths"].items()
        if path.startswith("/api/multihost")
        for method, operation in operations.items()
        if "requestBody" in operation
    }
    names = {
        route: _refs({"anyOf": [schema, *schema.get("anyOf", [])]})
        for route, schema in bodies.items()
    }
    assert names == {
        ("post", "/api/multihost"): ["NewSession"],
        ("post", "/api/multihost/{session_id}/invite"): ["Invite"],
        ("post", "/api/multihost/{session_id}/request"): ["JoinRequest"],
        ("post", "/api/multihost/{session_id}/approve"): ["Approve"],
        ("put", "/api/multihost/{session_id}/settings"): ["HostSettings"],
        ("put", "/api/multihost/{session_id}/layout"): ["LayoutRequest"],
    }
    for name in ("NewSession", "Invite", "HostSettings", "LayoutRequest"):
        assert spec["components"]["schemas"][name]["additionalProperties"] is False
