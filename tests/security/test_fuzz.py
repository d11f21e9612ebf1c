"""Property-based fuzzing of the whole OpenAPI schema (schemathesis): whatever a client sends,
the answer is never a 5xx and always matches the schema the app publishes.

Driven through hypothesis directly (schemathesis' pytest plugin does not run on pytest 9);
the operations are read from the app's own schema, so new routes are fuzzed as they land.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from backend.app import create_app
from backend.settings import Settings
from tests.security.world import World
from tests.servers import LiveServer

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = 8


def operations() -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(db_path=Path(folder) / "schema.sqlite3", jwt_secret="f" * 40))
        try:
            paths = app.openapi()["paths"]
        finally:
            app.state.services.db.close()
    return [(method.upper(), path) for path, item in paths.items() for method in item]


@pytest.fixture(scope="module")
def api_schema(live: LiveServer) -> Any:
    return schemathesis.openapi.from_dict(live.app.openapi())


@pytest.mark.parametrize(("method", "path"), operations(), ids=lambda part: str(part))
def test_no_input_makes_the_server_fail(
    method: str, path: str, api_schema: Any, live: LiveServer, world: World
) -> None:
    operation = api_schema[path][method]
    auth = {"Authorization": f"Bearer {world.actor('viewer').token}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(base_url=live.url, headers=auth, checks=CHECKS)

    fuzz()
