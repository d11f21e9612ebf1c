"""Where services publish real-time events: the hub implements it, tests record it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class EventSink(Protocol):
    """Where services publish real-time events (the hub implements it)."""

    def publish(self, room: str, event: str, data: dict[str, Any]) -> None: ...

    def publish_many(self, rooms: Iterable[str], event: str, data: dict[str, Any]) -> None:
        """Publish once to everyone in any of ``rooms`` (a member of two rooms gets it once)."""
