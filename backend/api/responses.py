"""The JSON envelope every endpoint answers with."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from backend.errors import DomainError, RateLimited
from backend.services.container import Services
from backend.services.idempotency import request_fingerprint
from wire.base import Ok, Replayable

Data = TypeVar("Data")
Once = TypeVar("Once", bound=Replayable)


def ok(data: Data) -> Ok[Data]:
    """The answer of a typed route (``-> Ok[Model]``: FastAPI takes it as the response model).
    Built unparametrised: ``Ok[Data]`` would look the generic class up on every answer."""
    return Ok(data=data)


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


async def answer_once(
    services: Services,
    user_id: str,
    scope: str,
    key: str | None,
    action: Callable[[], Once],
    model: type[Once],
    body: BaseModel | None,
    row_locked: bool = False,
) -> Ok[Once]:
    """The answer of an endpoint that honours ``Idempotency-Key``: the action's answer, or on
    a repeated key the first answer again (rebuilt from the stored JSON, marked ``replayed``)
    without acting again. A key reused with a different ``body`` is refused (422
    ``idempotency_key_reused``). ``row_locked``: see ``Database.commit_together``."""
    fresh: list[Once] = []

    def stored() -> dict[str, Any]:
        answer = action()
        fresh.append(answer)
        return answer.to_wire() if key is not None else {}  # only a key's answer is stored

    fingerprint = _fingerprint(body) if key is not None else ""  # nothing to compare without
    result, replayed = await services.idempotency.run_once(
        user_id, scope, key, stored, fingerprint, row_locked
    )
    if not replayed:
        return ok(fresh[-1])  # the last run's: a row-locked action runs again after a deadlock
    return ok(model.model_validate({**result, "replayed": True}))


def _fingerprint(body: BaseModel | None) -> str:
    """What identifies the request an Idempotency-Key was used for: its parsed body."""
    return request_fingerprint(None if body is None else body.model_dump(mode="json"))
