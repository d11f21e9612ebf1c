"""Gifts in a running battle: one transaction pays the host and raises the score."""

from __future__ import annotations

from backend.errors import Conflict, InvalidInput
from backend.events import EventSink
from backend.services.gifts import GiftService
from backend.services.pk import rows
from backend.services.pk.presenters import scores_by_side_and_host, top_supporters_and_card
from backend.services.pk.rules import side_of
from backend.services.records import announce
from backend.services.wallet import WalletService
from backend.storage.db import Database, Row, now_iso, parse_iso, utc_now
from wire.events import PK, battle_room
from wire.pk import GiftEvent, GiftReceipt, Side
from wire.wallet import Balance


class BattleGifts:
    def __init__(
        self, db: Database, events: EventSink, wallet: WalletService, catalog: GiftService
    ) -> None:
        self.db = db
        self.events = events
        self.wallet = wallet
        self.catalog = catalog

    def send(
        self, battle_id: str, sender_id: str, gift_id: str, quantity: int, to_host: str
    ) -> GiftReceipt:
        """One transaction: the coins go from the sender to the host (the wallet's transfer,
        ledger kinds ``gift:sent``/``gift:received``), the host's side scores them. Row-locked
        (``Database.commit_together``): the battle's row is locked first, so the scores read
        are the latest and no other node's gift to this battle comes in between."""
        gift, coins = self.catalog.price(gift_id, quantity)
        with self.db.transaction():
            row = rows.visible_row(self.db, battle_id, sender_id, lock=True)
            if row["status"] != "active" or parse_iso(row["endsAt"]) <= utc_now():
                raise Conflict("This battle is not running; gifts are closed.", code="battle_over")
            side = side_of(row, to_host)
            if to_host == sender_id:
                raise InvalidInput("You cannot send a gift to yourself.", code="self_gift")
            balance = self.wallet.transfer(sender_id, to_host, coins, "gift", battle_id)
            self._record(row, side, sender_id, to_host, gift["id"], quantity, coins)
            row[f"{side}Score"] += coins
            supporters, sender = top_supporters_and_card(self.db, row, sender_id)
            payload = {  # in wire form: a gift storm's hot path validates it in one call
                "battleId": battle_id,
                "gift": {
                    "giftId": gift["id"],
                    "name": gift["name"],
                    "icon": gift["icon"],
                    "quantity": quantity,
                    "coins": coins,
                    "toHost": to_host,
                    "side": side,
                    "sender": sender,
                },
                "scores": scores_by_side_and_host(row),
                "topSupporters": supporters,
            }
        event = GiftEvent.model_validate(payload)
        announce(self.db, self.events, [battle_room(battle_id)], PK.GIFT, event)
        return GiftReceipt(  # the event's parts are models already: not validated again
            battle_id=battle_id,
            gift=event.gift,
            scores=event.scores,
            top_supporters=event.top_supporters,
            balance=Balance(**balance),
        )

    def _record(
        self,
        row: Row,
        side: Side,
        sender_id: str,
        to_host: str,
        gift_id: str,
        quantity: int,
        coins: int,
    ) -> None:
        """The gift row, the sender's support of that host, and the side's new score."""
        stamp = now_iso()
        battle_id = row["id"]
        self.db.insert(
            "pk_gifts",
            {
                "battleId": battle_id,
                "senderId": sender_id,
                "toHostId": to_host,
                "giftId": gift_id,
                "quantity": quantity,
                "coins": coins,
            },
        )
        support = self.db.scalar(
            "INSERT INTO pk_supporters"
            " (id, createdAt, updatedAt, battleId, userId, toHostId, coins)"
            " VALUES (lower(hex(randomblob(16))), ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (battleId, toHostId, userId) DO UPDATE SET"
            " coins = coins + excluded.coins, updatedAt = excluded.updatedAt RETURNING coins",
            (stamp, stamp, battle_id, sender_id, to_host, coins),
        )
        if support == coins:  # their first gift to this host: later ones were noted by it
            rows.note_viewer(self.db, battle_id, sender_id, stamp)
        self.db.write(
            f"UPDATE pk_battles SET {side}Score = {side}Score + ?, giftCount = giftCount + 1,"
            " updatedAt = ? WHERE id = ?",
            (coins, stamp, battle_id),
        )
