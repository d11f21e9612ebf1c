"""Gifts on every live: a viewer sends a gift to the streamer, or in a co-host session to any
of its hosts, whether or not a PK battle is on.

One transaction moves the coins through the wallet (ledger kinds ``gift:sent``/``gift:received``,
like a battle's gifts) and records the gift. A gift to a host of the streamer's running PK
battle is that battle's gift (``BattleGifts.send``: it scores, and is announced as
``pk-battle:gift``), never a second one; any other gift is announced as ``stream:gift``.
"""

from __future__ import annotations

from datetime import datetime

from backend.errors import InvalidInput
from backend.events import EventSink
from backend.services.gifts import GiftService
from backend.services.pk.gifting import BattleGifts
from backend.services.records import announce, user_cards
from backend.services.stream_names import canonical_name, find_streamer
from backend.services.wallet import WalletService
from backend.storage.db import Database, Row, iso, now_iso
from wire.events import Stream, stream_room, user_room
from wire.gifts import (
    BattleScore,
    Gifter,
    GiftIncome,
    StreamGift,
    StreamGiftEvent,
    StreamGiftReceipt,
)
from wire.users import UserCard
from wire.wallet import Balance

TOP_GIFTERS = 5


class StreamGifts:
    def __init__(
        self,
        db: Database,
        events: EventSink,
        wallet: WalletService,
        catalog: GiftService,
        battles: BattleGifts,
    ) -> None:
        self.db = db
        self.events = events
        self.wallet = wallet
        self.catalog = catalog
        self.battles = battles

    def send(
        self, stream: str, sender_id: str, gift_id: str, quantity: int, to_host: str | None
    ) -> StreamGiftReceipt:
        """``to_host`` defaults to the streamer; another host must be in the streamer's live
        co-host session (or the streamer's running battle, where the gift scores)."""
        gift, coins = self.catalog.price(gift_id, quantity)
        with self.db.transaction():
            streamer = find_streamer(self.db, stream)
            name = canonical_name(stream, streamer["username"])
            recipient = to_host or streamer["id"]
            if recipient == sender_id:
                raise InvalidInput("You cannot send a gift to yourself.", code="self_gift")
            battle_id = self._running_battle(streamer["id"], recipient)
            if battle_id is not None:
                return self._battle_gift(name, battle_id, sender_id, gift_id, quantity, recipient)
            self._check_host(streamer, recipient)
            row = self.db.insert(
                "stream_gifts",
                {
                    "stream": name,
                    "streamerId": streamer["id"],
                    "senderId": sender_id,
                    "toHostId": recipient,
                    "giftId": gift["id"],
                    "quantity": quantity,
                    "coins": coins,
                },
            )
            balance = self.wallet.transfer(sender_id, recipient, coins, "gift", row["id"])
            cards = user_cards(self.db, [sender_id, recipient])
            sent = StreamGift.model_validate(
                {
                    "giftId": gift["id"],
                    "name": gift["name"],
                    "icon": gift["icon"],
                    "quantity": quantity,
                    "coins": coins,
                    "sender": cards[sender_id],
                    "recipient": cards[recipient],
                }
            )
            event = StreamGiftEvent(stream=name, streamer_id=streamer["id"], gift=sent)
            rooms = [stream_room(name), user_room(recipient), user_room(streamer["id"])]
            announce(self.db, self.events, rooms, Stream.GIFT, event)
        return StreamGiftReceipt(stream=name, gift=sent, balance=Balance(**balance), battle=None)

    def in_battle(self, streamer_id: str) -> bool:
        """Whether the streamer is a host of a running PK battle."""
        return self._running_battle(streamer_id, streamer_id) is not None

    def _running_battle(self, streamer_id: str, recipient: str) -> str | None:
        """The streamer's running battle if ``recipient`` is one of its two hosts."""
        battle_id: str | None = self.db.scalar(
            "SELECT id FROM pk_battles WHERE status = 'active' AND endsAt > :now"
            " AND (host1Id = :s OR host2Id = :s) AND (host1Id = :r OR host2Id = :r) LIMIT 1",
            {"s": streamer_id, "r": recipient, "now": now_iso()},
        )
        return battle_id

    def _battle_gift(
        self, stream: str, battle_id: str, sender_id: str, gift_id: str, quantity: int, to: str
    ) -> StreamGiftReceipt:
        receipt = self.battles.send(battle_id, sender_id, gift_id, quantity, to)
        sent = receipt.gift
        recipient = user_cards(self.db, [to])[to]
        gift = StreamGift(
            gift_id=sent.gift_id,
            name=sent.name,
            icon=sent.icon,
            quantity=sent.quantity,
            coins=sent.coins,
            sender=sent.sender,
            recipient=UserCard.model_validate(recipient),
        )
        score = BattleScore(
            battle_id=battle_id, scores=receipt.scores, top_supporters=receipt.top_supporters
        )
        return StreamGiftReceipt(stream=stream, gift=gift, balance=receipt.balance, battle=score)

    def _check_host(self, streamer: Row, recipient: str) -> None:
        """The streamer, or a host of the live co-host session the streamer is in."""
        if recipient == streamer["id"]:
            return
        shared = self.db.scalar(
            "SELECT 1 FROM multihost_hosts mine"
            " JOIN multihost_sessions s ON s.id = mine.sessionId AND s.status = 'live'"
            " JOIN multihost_hosts theirs ON theirs.sessionId = s.id"
            " WHERE mine.userId = ? AND mine.status = 'active'"
            " AND theirs.userId = ? AND theirs.status = 'active' LIMIT 1",
            (streamer["id"], recipient),
        )
        if shared is None:
            raise InvalidInput(
                f"Gifts on {streamer['username']}'s live go to {streamer['username']} or to a"
                " co-host on it right now; that user is not one.",
                code="not_a_host",
            )

    def income(self, user_id: str, since: datetime) -> GiftIncome:
        """Gifts ``user_id`` received since ``since`` (on their lives, as a co-host and in
        battles) and who gave the most."""
        start = iso(since)
        givers = self.db.all(
            "SELECT g.senderId AS id, u.username, u.displayName,"
            " SUM(g.coins) AS coins, SUM(g.quantity) AS gifts FROM ("
            " SELECT senderId, coins, quantity FROM stream_gifts"
            " WHERE toHostId = :u AND createdAt >= :t"
            " UNION ALL SELECT senderId, coins, quantity FROM pk_gifts"
            " WHERE toHostId = :u AND createdAt >= :t"
            ") g JOIN users u ON u.id = g.senderId"
            " GROUP BY g.senderId, u.username, u.displayName ORDER BY coins DESC, u.username",
            {"u": user_id, "t": start},
        )
        return GiftIncome(
            since=since,
            coins=sum(int(row["coins"]) for row in givers),
            gifts=sum(int(row["gifts"]) for row in givers),
            top_gifters=[Gifter.model_validate(row) for row in givers[:TOP_GIFTERS]],
        )
