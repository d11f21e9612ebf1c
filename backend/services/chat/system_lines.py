"""Chat lines the server writes about what happens in a stream: gifts (in PK battles and
outside them), PK battles, a pinned product, an order, viewers arriving.

They come from the events other services already publish (``Hub.publish_listeners``), so
those services need not know the chat exists. Each event is read as its contract model.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from backend.events import Payload
from backend.services.chat.messages import ChatMessages
from backend.storage.db import Database
from wire.chat import SystemKind
from wire.events import PK, Shopping, Stream
from wire.gifts import StreamGiftEvent
from wire.pk import BattleChanged, BattleEnded, GiftEvent
from wire.shopping import OrderChanged, ProductPinned
from wire.users import UserCard

log = logging.getLogger(__name__)
Line = tuple[str, SystemKind, str]  # (user id of the stream's owner, kind, text)


def _name(card: UserCard | None) -> str:
    return (card.label if card is not None else "") or "Someone"


@dataclass
class GiftLine:
    """Gifts of one kind from one sender to one host, added up until the lines are written."""

    owner_id: str
    sender: str
    gift: str
    quantity: int
    to: str = ""  # whom, when it is not the stream's owner (a co-host)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Lines with the same key are added up."""
        return (self.owner_id, self.sender, self.gift, self.to)

    @property
    def line(self) -> Line:
        to = f" to {self.to}" if self.to else ""
        return (self.owner_id, "gift", f"{self.sender} sent {self.quantity}× {self.gift}{to}")


def gift_lines(data: GiftEvent) -> list[GiftLine]:
    gift = data.gift
    return [GiftLine(gift.to_host, _name(gift.sender), gift.name, gift.quantity)]


def stream_gift_lines(data: StreamGiftEvent) -> list[GiftLine]:
    """A gift outside a battle: a line in the chat of the live it was sent on."""
    gift = data.gift
    to = "" if gift.recipient.id == data.streamer_id else _name(gift.recipient)
    return [GiftLine(data.streamer_id, _name(gift.sender), gift.name, gift.quantity, to)]


def battle_started_lines(data: BattleChanged) -> list[Line]:
    first, second = data.battle.host1, data.battle.host2
    return [
        (first.id, "pk-started", f"PK battle with {_name(second)} started"),
        (second.id, "pk-started", f"PK battle with {_name(first)} started"),
    ]


def battle_ended_lines(data: BattleEnded) -> list[Line]:
    battle = data.battle
    hosts = {battle.host1.id: battle.host1, battle.host2.id: battle.host2}
    winner = hosts.get(data.winner) if data.winner is not None else None
    text = f"PK battle ended: {_name(winner)} won" if winner else "PK battle ended in a draw"
    return [(host_id, "pk-ended", text) for host_id in hosts]


def _by_owner(lines: Sequence[Line]) -> dict[str, list[tuple[SystemKind, str]]]:
    """Each stream owner's lines ``(kind, text)``, in order."""
    by_owner: dict[str, list[tuple[SystemKind, str]]] = {}
    for owner_id, kind, text in lines:
        by_owner.setdefault(owner_id, []).append((kind, text))
    return by_owner


class SystemLines:
    """Gift lines are gathered for ``FLUSH_S`` and written together in one transaction, gifts of
    a kind from one sender added up ("Noah sent 12× Rose"): a gift storm costs a few chat rows
    and one commit a moment, not a row and a commit per gift on the event loop. Other lines are
    written at once (after any gathered gifts, so the order holds)."""

    FLUSH_S = 0.25

    def __init__(self, db: Database, messages: ChatMessages) -> None:
        self.db = db
        self.messages = messages
        self._pending: list[Line | GiftLine] = []
        self._gifts: dict[tuple[str, str, str, str], GiftLine] = {}
        self._timer: asyncio.TimerHandle | None = None

    def observe(self, rooms: tuple[str, ...], event: str, data: Payload) -> None:
        """A hub publish listener: write the lines ``event`` calls for (never raises)."""
        try:
            lines = self._lines(event, data)
        except Exception:  # the event itself is sent; its chat line is not worth failing it
            log.exception("no chat line for %s", event)
            return
        self._gather(lines)

    def _gather(self, lines: Sequence[Line | GiftLine]) -> None:
        for line in lines:
            if isinstance(line, GiftLine):
                same = self._gifts.get(line.key)
                if same is not None:
                    same.quantity += line.quantity
                    continue
                self._gifts[line.key] = line
            self._pending.append(line)
        if any(not isinstance(line, GiftLine) for line in lines) or not self._gifts:
            # Written now, like the event it is about (after any gifts gathered); on PostgreSQL
            # after a group's COMMIT (an order), in a moment off the loop.
            self.db.soon(self.flush)
        elif self._timer is None:
            try:
                self._timer = self.db.call_later(self.FLUSH_S, self.flush)
            except RuntimeError:  # not on the event loop (a test calling in directly)
                self.flush()

    @property
    def waiting(self) -> bool:
        """Whether gift lines are gathered and not written yet."""
        return bool(self._pending)

    def flush(self) -> None:
        """Write the gathered lines, in order (never raises: the events themselves were sent)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        lines = [line.line if isinstance(line, GiftLine) else line for line in self._pending]
        self._pending, self._gifts = [], {}
        if not lines:
            return
        try:
            with self.db.transaction():
                for owner_id, owners_lines in _by_owner(lines).items():
                    stream = self.db.scalar("SELECT username FROM users WHERE id = ?", (owner_id,))
                    if stream is not None:
                        self.messages.post_system_lines(stream, owners_lines)
        except Exception:
            log.exception("%d chat lines not written", len(lines))

    def _lines(self, event: str, data: Payload) -> Sequence[Line | GiftLine]:
        """The lines a published event calls for (most call for none)."""
        if event == PK.GIFT and isinstance(data, GiftEvent):
            return gift_lines(data)
        if event == Stream.GIFT and isinstance(data, StreamGiftEvent):
            return stream_gift_lines(data)
        if event == PK.STARTED and isinstance(data, BattleChanged):
            return battle_started_lines(data)
        if event == PK.ENDED and isinstance(data, BattleEnded):
            return battle_ended_lines(data)
        if event == Shopping.PRODUCT_PINNED and isinstance(data, ProductPinned):
            return self._pinned_lines(data)
        if event == Shopping.ORDER and isinstance(data, OrderChanged):
            return self._order_lines(data)
        return []

    def _seller(self, session_id: str) -> str | None:
        seller: str | None = self.db.scalar(
            "SELECT sellerId FROM shopping_sessions WHERE id = ?", (session_id,)
        )
        return seller

    def _pinned_lines(self, data: ProductPinned) -> list[Line]:
        seller = self._seller(data.session_id)
        if seller is None or data.product is None:
            return []
        return [(seller, "product-pinned", f"Pinned: {data.product.name}")]

    def _order_lines(self, data: OrderChanged) -> list[Line]:
        order = data.order
        text = f"{_name(order.buyer)} ordered {order.quantity}× {order.product_name}"
        return [(order.seller_id, "order", text)]

    def joined(self, stream: str, names: list[str], others: int) -> None:
        """One line for everyone who arrived since the last one (``names``: accounts shown by
        name, ``others``: guests and the names beyond the first few)."""
        if not names and not others:
            return
        if not names:
            text = f"{others} viewer{'s' if others != 1 else ''} joined"
        elif not others:
            text = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
            text += " joined"
        else:
            text = f"{', '.join(names)} and {others} other{'s' if others != 1 else ''} joined"
        self.messages.post_system(stream, "joined", text)
