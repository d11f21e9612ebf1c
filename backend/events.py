"""Where services publish real-time events: the hub implements it, tests record it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from wire.base import WireModel

Payload = WireModel
"""An event's data: the contract model declared for its name (``wire.payloads``)."""


class EventSink(Protocol):
    """Where services publish real-time events (the hub implements it)."""

    def publish(self, room: str, event: str, data: Payload) -> None: ...

    def publish_many(self, rooms: Iterable[str], event: str, data: Payload) -> None:
        """Publish once to everyone in any of ``rooms`` (a member of two rooms gets it once)."""
