"""Gifts as the broadcast sees them: which server events carry a gift, and to whom.

Every event that announces a gift has a reader here (:data:`GIFT_READERS`, by event name); a
new kind of gift event adds its reader and every studio that follows gifts reacts to it too,
with no other change. ``pk-battle:gift`` is a battle's gift, ``stream:gift`` one on any live.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from studio.core.events import ServerEvent
from wire.events import PK, Stream


@dataclass(frozen=True)
class GiftArrival:
    """A gift someone sent: to which user, how many, what."""

    to_user: str
    quantity: int
    name: str


GiftReader = Callable[[Mapping[str, Any]], GiftArrival]


def _battle_gift(data: Mapping[str, Any]) -> GiftArrival:
    gift = data["gift"]
    return GiftArrival(str(gift["toHost"]), int(gift["quantity"]), str(gift["name"]))


def _stream_gift(data: Mapping[str, Any]) -> GiftArrival:
    gift = data["gift"]
    return GiftArrival(str(gift["recipient"]["id"]), int(gift["quantity"]), str(gift["name"]))


GIFT_READERS: dict[str, GiftReader] = {PK.GIFT: _battle_gift, Stream.GIFT: _stream_gift}


def gift_in(event: ServerEvent) -> GiftArrival | None:
    """The gift ``event`` announces, or None when it announces none."""
    reader = GIFT_READERS.get(event.name)
    return reader(event.data) if reader is not None else None
