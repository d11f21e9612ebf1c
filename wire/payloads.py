"""Which model each real-time event carries: one table for the backend, the studio and tests.

Each ``wire/<domain>.py`` module declares ``EVENTS`` (event name → payload model); a new event
is added there and its domain's table is merged here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wire import chat, gifts, hub, multihost, pk, shopping, social, stream_filters, webrtc
from wire.base import WireModel


class UnknownEvent(KeyError):
    """An event name the contract does not declare."""


PAYLOADS: Mapping[str, type[WireModel]] = {
    **hub.EVENTS,
    **chat.EVENTS,
    **gifts.EVENTS,
    **multihost.EVENTS,
    **shopping.EVENTS,
    **pk.EVENTS,
    **stream_filters.EVENTS,
    **webrtc.EVENTS,
    **social.EVENTS,
}


def payload_model(event: str) -> type[WireModel]:
    try:
        return PAYLOADS[event]
    except KeyError:
        raise UnknownEvent(event) from None


def parse_payload(event: str, data: Mapping[str, Any]) -> WireModel:
    """The typed payload of an event received as JSON (raises pydantic's ValidationError)."""
    return payload_model(event).model_validate(data)
