"""The JSON envelope every endpoint answers with."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi.responses import JSONResponse

from backend.errors import DomainError, RateLimited
from backend.services.container import Services


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}


def failure(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"success": False, "error": {"code": code, "message": message}},
        status_code=status,
        headers=headers,
    )


def domain_failure(exc: DomainError) -> JSONResponse:
    headers = None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))}
    return failure(exc.status, exc.code, exc.message, headers)


def validation_failure(errors: Iterable[Any]) -> JSONResponse:
    """422 naming the first few invalid fields (pydantic error dicts, ``body`` left out)."""
    problems = []
    for error in list(errors)[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else error["msg"])
    return failure(422, "validation_error", "; ".join(problems) or "Invalid request.")


async def respond_once(
    services: Services,
    user_id: str,
    scope: str,
    key: str | None,
    action: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The answer of an endpoint that honours ``Idempotency-Key``: the action's result, or on a
    repeated key the first result without acting again, marked ``replayed``."""
    result, replayed = await services.idempotency.run_once(user_id, scope, key, action)
    return ok({**result, "replayed": replayed})
