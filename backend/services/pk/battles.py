"""A battle's life: challenge, accept, cancel or forfeit, the end on time, and reads."""

from __future__ import annotations

import json
from datetime import timedelta

from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.events import EventSink
from backend.services.gifts import GiftService
from backend.services.pk import rows
from backend.services.pk.gifting import BattleGifts
from backend.services.pk.presenters import present_battle, top_supporters
from backend.services.pk.rankings import PKRankings
from backend.services.pk.rules import END_DEADLINE, INVITE_DEADLINE, check_duration, reward_plan
from backend.services.records import announce, require_user, user_cards
from backend.services.scheduler import Scheduler
from backend.services.wallet import WalletService
from backend.storage.db import Database, Row, iso, now_iso, utc_now
from wire.base import WireModel
from wire.events import PK, battle_room, user_room
from wire.pk import (
    Battle,
    BattleCancelled,
    BattleChanged,
    BattleEnded,
    BattleStanding,
    CancelReason,
    EndReason,
    UserBattles,
)


class PKBattleService:
    def __init__(
        self,
        db: Database,
        events: EventSink,
        wallet: WalletService,
        gifts: GiftService,
        scheduler: Scheduler,
        invite_ttl_seconds: int,
    ) -> None:
        self.db = db
        self.events = events
        self.wallet = wallet
        self.scheduler = scheduler
        self.invite_ttl = timedelta(seconds=invite_ttl_seconds)
        self.gifts = BattleGifts(db, events, wallet, gifts)
        self.rankings = PKRankings(db)
        scheduler.on(END_DEADLINE, self.end_battle)
        scheduler.on(INVITE_DEADLINE, self.expire_invitation)

    # ---- lifecycle ------------------------------------------------------------------
    def create(self, host_id: str, opponent_id: str, duration: int, title: str = "") -> Battle:
        check_duration(duration)
        if opponent_id == host_id:
            raise InvalidInput("You cannot battle yourself.", code="self_battle")
        with self.db.transaction():
            if not user_cards(self.db, [opponent_id]):
                raise NotFound("That opponent does not exist.", code="opponent_not_found")
            rows.ensure_free(self.db, host_id, "You already have a battle going.")
            rows.ensure_free(self.db, opponent_id, "Your opponent is already in a battle.")
            expires = utc_now() + self.invite_ttl
            row = self.db.insert(
                "pk_battles",
                {
                    "host1Id": host_id,
                    "host2Id": opponent_id,
                    "status": "pending",
                    "duration": duration,
                    "title": title.strip()[:120],
                    "inviteExpiresAt": iso(expires),
                },
            )
            self.scheduler.schedule(INVITE_DEADLINE, row["id"], expires)
            battle = self._battle(row["id"])
        self._announce(battle, PK.CREATED, BattleChanged(battle=battle))
        return battle

    def accept(self, battle_id: str, user_id: str) -> Battle:
        with self.db.transaction():
            row = rows.visible_row(self.db, battle_id, user_id)
            if row["host2Id"] != user_id:
                raise Forbidden("Only the invited opponent can accept.", code="not_opponent")
            if row["status"] != "pending":
                raise Conflict(f"This battle is {row['status']}, not waiting.", code="not_pending")
            rows.ensure_free(
                self.db, row["host1Id"], "The challenger is already in another battle.", battle_id
            )
            rows.ensure_free(self.db, user_id, "You are already in another battle.", battle_id)
            started = utc_now()
            ends = started + timedelta(minutes=row["duration"])
            self.db.update(
                "pk_battles",
                battle_id,
                {"status": "active", "startedAt": iso(started), "endsAt": iso(ends)},
            )
            self.scheduler.cancel(INVITE_DEADLINE, battle_id)
            self.scheduler.schedule(END_DEADLINE, battle_id, ends)
            battle = self._battle(battle_id)
        self._announce(battle, PK.STARTED, BattleChanged(battle=battle))
        return battle

    def leave(self, battle_id: str, user_id: str) -> Battle:
        """A host walks away: a waiting challenge is cancelled (declined by the invited host);
        a running battle is forfeited, so the other host wins and both are paid as usual."""
        with self.db.transaction():
            row = rows.visible_row(self.db, battle_id, user_id)
            if user_id not in (row["host1Id"], row["host2Id"]):
                raise Forbidden(
                    "Only the two hosts can cancel or end a battle.", code="not_participant"
                )
            if row["status"] == "active":
                return self._end(row, forfeited_by=user_id)
            if row["status"] != "pending":
                raise Conflict(f"This battle is already {row['status']}.", code="battle_over")
            reason: CancelReason = "declined" if user_id == row["host2Id"] else "cancelled"
            self._close(battle_id, reason)
            battle = self._battle(battle_id)
        self._announce(
            battle, PK.CANCELLED, BattleCancelled(battle=battle, by=user_id, reason=reason)
        )
        return battle

    def expire_invitation(self, battle_id: str) -> None:
        with self.db.transaction():
            row = self.db.one("SELECT * FROM pk_battles WHERE id = ?", (battle_id,))
            if row is None or row["status"] != "pending":
                return
            self._close(battle_id, "expired")
            battle = self._battle(battle_id)
        self._announce(
            battle, PK.CANCELLED, BattleCancelled(battle=battle, by=None, reason="expired")
        )

    def end_battle(self, battle_id: str) -> None:
        """The battle's time is up (the scheduler's handler): the scores decide."""
        with self.db.transaction():
            row = self.db.one("SELECT * FROM pk_battles WHERE id = ?", (battle_id,))
            if row is not None and row["status"] == "active":
                self._end(row)

    def _end(self, row: Row, forfeited_by: str | None = None) -> Battle:
        """Decide the winner, pay both hosts and announce ``pk-battle:ended``, in the caller's
        transaction (the event goes out once it commits)."""
        battle_id = row["id"]
        winner, rewards = reward_plan(
            row["host1Id"], row["host2Id"], row["host1Score"], row["host2Score"], forfeited_by
        )
        for host_id, reward in rewards.items():
            if reward.coins or reward.xp:
                self.wallet.move(host_id, reward.coins, "pk:reward", battle_id, reward.xp)
        reason: EndReason = "time" if forfeited_by is None else "forfeit"
        self.db.update(
            "pk_battles",
            battle_id,
            {
                "status": "ended",
                "endedAt": now_iso(),
                "endReason": reason,
                "winnerId": winner,
                "isDraw": int(winner is None),
                "rewards": json.dumps({h: r.to_wire() for h, r in rewards.items()}),
            },
        )
        self.scheduler.cancel(END_DEADLINE, battle_id)
        battle = self._battle(battle_id)
        ended = BattleEnded(
            battle_id=battle_id,
            winner=winner,
            is_draw=winner is None,
            rewards=rewards,
            scores=battle.scores,
            reason=reason,
            forfeited_by=forfeited_by,
            battle=battle,
        )
        self._announce(battle, PK.ENDED, ended)
        return battle

    # ---- reads ----------------------------------------------------------------------
    def get(self, battle_id: str, viewer_id: str) -> Battle:
        return present_battle(self.db, rows.visible_row(self.db, battle_id, viewer_id))

    def standing(self, battle_id: str, viewer_id: str) -> BattleStanding:
        """The battle with its top supporters."""
        row = rows.visible_row(self.db, battle_id, viewer_id)
        battle = present_battle(self.db, row)
        return BattleStanding(**dict(battle), top_supporters=top_supporters(self.db, row))

    def can_watch(self, battle_id: str, viewer_id: str) -> bool:
        try:
            rows.visible_row(self.db, battle_id, viewer_id)
        except NotFound:
            return False
        return True

    def note_viewer(self, battle_id: str, user_id: str) -> None:
        """Record that a signed-in viewer (not a host) took part: joined the room or gifted."""
        rows.note_viewer(self.db, battle_id, user_id, now_iso())

    def active(self, limit: int = 50) -> list[Battle]:
        found = self.db.all(
            "SELECT * FROM pk_battles WHERE status = 'active' ORDER BY startedAt DESC LIMIT ?",
            (limit,),
        )
        return [present_battle(self.db, row) for row in found]

    def for_user(self, user_id: str, viewer_id: str, limit: int = 50) -> UserBattles:
        require_user(self.db, user_id)
        hide_pending = "" if user_id == viewer_id else "AND status != 'pending'"
        found = self.db.all(
            f"SELECT * FROM pk_battles WHERE (host1Id = ? OR host2Id = ?) {hide_pending} "
            "ORDER BY createdAt DESC LIMIT ?",
            (user_id, user_id, limit),
        )
        return UserBattles(
            battles=[present_battle(self.db, row) for row in found],
            stats=self.rankings.stats(user_id),
        )

    # ---- helpers --------------------------------------------------------------------
    def _battle(self, battle_id: str) -> Battle:
        return present_battle(self.db, rows.battle_row(self.db, battle_id))

    def _close(self, battle_id: str, reason: CancelReason) -> None:
        self.db.update(
            "pk_battles",
            battle_id,
            {"status": "cancelled", "endedAt": now_iso(), "endReason": reason},
        )
        self.scheduler.cancel(INVITE_DEADLINE, battle_id)
        self.scheduler.cancel(END_DEADLINE, battle_id)

    def _announce(self, battle: Battle, event: str, data: WireModel) -> None:
        rooms = (battle_room(battle.id), user_room(battle.host1.id), user_room(battle.host2.id))
        announce(self.db, self.events, rooms, event, data)
