"""The wire contract shared by the backend, the studio and tests: event names and rooms.

Names follow the product spec exactly; clients import them from here instead of copying strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class EventSink(Protocol):
    """Where services publish real-time events (the hub implements it)."""

    def publish(self, room: str, event: str, data: dict[str, Any]) -> None: ...

    def publish_many(self, rooms: Iterable[str], event: str, data: dict[str, Any]) -> None:
        """Publish once to everyone in any of ``rooms`` (a member of two rooms gets it once)."""


def battle_room(battle_id: str) -> str:
    return f"pk-battle:{battle_id}"


def multihost_room(session_id: str) -> str:
    return f"multihost:{session_id}"


def shopping_room(session_id: str) -> str:
    return f"live-shopping:{session_id}"


def webrtc_room(room_id: str) -> str:
    return f"webrtc:{room_id}"


def user_room(user_id: str) -> str:
    return f"user_{user_id}"


def stream_room(stream_id: str) -> str:
    """A stream's room (``stream:{streamId}``, the stream named as in ``/whip/{stream}``)."""
    return f"stream:{stream_id}"


class PK:
    CREATED = "pk-battle:created"
    STARTED = "pk-battle:started"
    GIFT = "pk-battle:gift"
    ENDED = "pk-battle:ended"
    CANCELLED = "pk-battle:cancelled"
    DECLINED = "pk-battle:declined"


class MultiHost:
    INVITED = "multihost:invited"
    JOINED = "multihost:joined"
    LEFT = "multihost:left"
    SETTINGS = "multihost:settings"
    LAYOUT_CHANGED = "multihost:layout-changed"
    ENDED = "multihost:ended"
    STARTED = "multihost:started"
    JOIN_REQUESTED = "multihost:join-requested"
    REQUEST_DECLINED = "multihost:request-declined"
    INVITATION_EXPIRED = "multihost:invitation-expired"


class Shopping:
    PRODUCT_ADDED = "live-shopping:product-added"
    PRODUCT_PINNED = "live-shopping:product-pinned"
    FLASH_SALE = "live-shopping:flash-sale"
    ORDER = "live-shopping:order"
    SOLD_OUT = "live-shopping:sold-out"
    VOUCHER = "live-shopping:voucher"
    STARTED = "live-shopping:started"
    ENDED = "live-shopping:ended"
    FLASH_SALE_ENDED = "live-shopping:flash-sale-ended"
    ORDER_UPDATED = "live-shopping:order-updated"


class StreamFilters:
    APPLIED = "stream-filters:applied"


class Stream:
    VIEWERS = "stream:viewers"  # {"stream", "viewers"}: to the stream's room and its owner


class Hub:
    """Control messages of the /ws protocol itself."""

    JOIN = "join"
    LEAVE = "leave"
    JOINED = "joined"
    LEFT = "left"
    PING = "ping"
    PONG = "pong"
    ERROR = "error"
    HELLO = "hello"
