"""The building blocks of every wire model: camelCase on the wire, snake_case in Python.

A model is written once here (or in a ``wire/<domain>.py`` module) and used three ways: the
backend builds it and FastAPI serialises it (``response_model=Ok[Model]``, so OpenAPI documents
the response), the hub publishes it as an event payload, and the studio parses the same JSON
back into it (``Model.model_validate(data)``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel


def wire_time(moment: datetime) -> str:
    """``2026-12-06T08:52:20.123Z``: UTC with milliseconds, as the database stores it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Timestamp = Annotated[datetime, PlainSerializer(wire_time, return_type=str)]
"""A moment in time; always sent as UTC ISO-8601 with milliseconds and ``Z``."""


class WireModel(BaseModel):
    """A JSON object of the contract. Unknown fields are ignored when parsing (an older studio
    keeps working against a newer backend); fields are immutable once built."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        serialize_by_alias=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict sent on the wire (camelCase keys, times as strings)."""
        return self.model_dump(mode="json", by_alias=True)


class WireBody(WireModel):
    """A request body both sides use: the client builds it, the backend validates with it.
    Unknown fields (server-owned ones included) are refused; text is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def to_body(self) -> dict[str, Any]:
        """The JSON of the fields the sender gave (a field left out keeps the server's
        default)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)


def absent_when_none(alias: str | None = None) -> Any:
    """An optional field the wire leaves out, rather than sending null, when it has no value."""
    return Field(default=None, alias=alias, exclude_if=lambda value: value is None)


Data = TypeVar("Data")


class Ok(BaseModel, Generic[Data]):
    """The envelope of every successful answer: ``{"success": true, "data": ...}``."""

    success: Literal[True] = True
    data: Data


class Replayable(WireModel):
    """The answer of a request that honours ``Idempotency-Key``: ``replayed`` is true when the
    key was seen before and this is the first answer again, with nothing done twice."""

    replayed: bool = False


class ErrorBody(WireModel):
    code: str
    message: str


class Failure(WireModel):
    """The envelope of every error: ``{"success": false, "error": {"code", "message"}}``."""

    success: Literal[False] = False
    error: ErrorBody


class Empty(WireModel):
    """An answer with nothing to say beyond success (``{"success": true, "data": {}}``)."""
