"""What OpenAPI says each route answers (to check that converted routes declare a model)."""

from __future__ import annotations

from typing import Any


def documented_answers(spec: dict[str, Any], prefix: str) -> dict[tuple[str, str], str | None]:
    """``(method, path) -> the success answer's schema name`` for every route under
    ``prefix``; None where the route documents no schema (an untyped answer)."""
    answers: dict[tuple[str, str], str | None] = {}
    for path, operations in spec["paths"].items():
        if not path.startswith(prefix):
            continue
        for method, operation in operations.items():
            success = next(r for code, r in operation["responses"].items() if code[0] == "2")
            schema = success.get("content", {}).get("application/json", {}).get("schema", {})
            ref = schema.get("$ref")
            answers[(method, path)] = ref.rsplit("/", 1)[-1] if ref else None
    return answers
