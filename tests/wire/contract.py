"""Checks a received ``/ws`` message against the contract (``wire.payloads``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from wire.payloads import PAYLOADS


def contract_problem(message: dict[str, Any]) -> str | None:
    """What is wrong with a received ``{"event", "data"}`` message, or None if it is exactly
    its declared model: it parses, and the model gives back the same JSON (no missing, extra or
    differently formatted field). An event the contract declares no model for is a problem."""
    event, data = message.get("event"), message.get("data")
    model = PAYLOADS.get(event) if isinstance(event, str) else None
    if model is None:
        return f"{event!r}: no payload model declared (wire.payloads)"
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        return f"{event}: does not parse as {model.__name__}: {exc}"
    if parsed.to_wire() != data:
        return f"{event}: {data!r} is not what {model.__name__} sends: {parsed.to_wire()!r}"
    return None
