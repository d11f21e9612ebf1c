"""The co-host contract: OpenAPI documents every /api/multihost answer with its wire model, and
every ``multihost:*`` event has a declared payload (so test Listeners check each one received)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.servers import LiveServer
from wire.events import MultiHost
from wire.multihost import EVENTS
from wire.payloads import PAYLOADS

COHOST_ANSWERS = {"CohostSession", "Invitation", "CohostMember", "CohostLayout"}


def _component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def _answer_model(schema: dict[str, Any], operation: dict[str, Any]) -> str:
    """The model named as ``data`` of the operation's success envelope (``[X]`` for a list)."""
    success = next(
        operation["responses"][code] for code in ("200", "201") if code in operation["responses"]
    )
    envelope = _component(schema, success["content"]["application/json"]["schema"]["$ref"])
    data = envelope["properties"]["data"]
    if data.get("type") == "array":
        return f"[{data['items']['$ref'].rsplit('/', 1)[-1]}]"
    return str(data["$ref"].rsplit("/", 1)[-1])


@pytest.mark.one_engine  # the schema is the same whatever stores the data
def test_openapi_documents_every_cohost_answer(server: LiveServer) -> None:
    schema = server.app.openapi()
    answers = {
        f"{method.upper()} {path}": _answer_model(schema, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/multihost")
        for method, operation in item.items()
    }
    assert len(answers) == 14  # the spec's thirteen endpoints and leave
    assert {model.strip("[]") for model in answers.values()} == COHOST_ANSWERS
    assert answers["GET /api/multihost/active/list"] == "[CohostSession]"
    assert answers["PUT /api/multihost/{session_id}/layout"] == "CohostLayout"
    session = _component(schema, "CohostSession")
    assert {"primaryHost", "hostCount", "layout", "pending", "serverTime"} <= set(
        session["required"]
    )


def test_every_cohost_event_has_a_declared_payload() -> None:
    names = {value for key, value in vars(MultiHost).items() if not key.startswith("_")}
    assert names == set(EVENTS)
    assert all(PAYLOADS[name] is EVENTS[name] for name in names)
