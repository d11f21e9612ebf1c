"""PK battles: invitation, live gift scoring, server-decided end, rewards and leaderboards."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.events import EventSink
from backend.services.gifts import GiftService
from backend.services.records import announce, fetch, require_user, user_cards
from backend.services.scheduler import Scheduler
from backend.services.wallet import WalletService
from backend.storage.db import Database, Row, iso, now_iso, parse_iso, utc_now
from wire.events import PK, battle_room, user_room

MIN_MINUTES, MAX_MINUTES = 1, 10
END_DEADLINE = "pk:end"
INVITE_DEADLINE = "pk:invite-expire"
TOP_SUPPORTERS = 3
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7), "monthly": timedelta(days=30)}
METRICS = ("wins", "coins")

WIN_XP, LOSE_XP, DRAW_XP = 100, 40, 70
WIN_BASE_COINS, DRAW_COINS = 50, 25
WIN_SHARE = 0.10  # the winner also earns 10% of all coins gifted in the battle


def reward_plan(
    host1: str, host2: str, score1: int, score2: int, forfeited_by: str | None = None
) -> tuple[str | None, dict]:
    """Winner (None for a draw) and the coins/XP each host earns.

    A host who ends a running battle early (``forfeited_by``) loses whatever the scores say;
    the rewards are the same as for a battle decided on points.
    """
    if forfeited_by is None and score1 == score2:
        same = {"coins": DRAW_COINS, "xp": DRAW_XP}
        return None, {host1: dict(same), host2: dict(same)}
    if forfeited_by is not None:
        winner, loser = (host2, host1) if forfeited_by == host1 else (host1, host2)
    else:
        winner, loser = (host1, host2) if score1 > score2 else (host2, host1)
    bonus = WIN_BASE_COINS + int((score1 + score2) * WIN_SHARE)
    return winner, {winner: {"coins": bonus, "xp": WIN_XP}, loser: {"coins": 0, "xp": LOSE_XP}}


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
        self.gifts = gifts
        self.scheduler = scheduler
        self.invite_ttl = timedelta(seconds=invite_ttl_seconds)
        scheduler.on(END_DEADLINE, self.end_battle)
        scheduler.on(INVITE_DEADLINE, self.expire_invitation)

    # ---- lifecycle ------------------------------------------------------------------
    def create(self, host_id: str, opponent_id: str, duration: int, title: str = "") -> dict:
        if not MIN_MINUTES <= duration <= MAX_MINUTES:
            raise InvalidInput(
                f"Battle duration must be {MIN_MINUTES}–{MAX_MINUTES} minutes.",
                code="invalid_duration",
            )
        if opponent_id == host_id:
            raise InvalidInput("You cannot battle yourself.", code="self_battle")
        with self.db.transaction():
            if not user_cards(self.db, [opponent_id]):
                raise NotFound("That opponent does not exist.", code="opponent_not_found")
            self._ensure_free(host_id, "You already have a battle going.")
            self._ensure_free(opponent_id, "Your opponent is already in a battle.")
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
            battle = self._present(self._row(row["id"]))
        self._announce(battle, PK.CREATED, {"battle": battle})
        return battle

    def accept(self, battle_id: str, user_id: str) -> dict:
        with self.db.transaction():
            row = self._visible_row(battle_id, user_id)
            if row["host2Id"] != user_id:
                raise Forbidden("Only the invited opponent can accept.", code="not_opponent")
            if row["status"] != "pending":
                raise Conflict(f"This battle is {row['status']}, not waiting.", code="not_pending")
            self._ensure_free(
                row["host1Id"], "The challenger is already in another battle.", battle_id
            )
            self._ensure_free(user_id, "You are already in another battle.", battle_id)
            started = utc_now()
            ends = started + timedelta(minutes=row["duration"])
            self.db.update(
                "pk_battles",
                battle_id,
                {"status": "active", "startedAt": iso(started), "endsAt": iso(ends)},
            )
            self.scheduler.cancel(INVITE_DEADLINE, battle_id)
            self.scheduler.schedule(END_DEADLINE, battle_id, ends)
            battle = self._present(self._row(battle_id))
        self._announce(battle, PK.STARTED, {"battle": battle})
        return battle

    def leave(self, battle_id: str, user_id: str) -> dict:
        """A host walks away: a waiting challenge is cancelled (declined by the invited host);
        a running battle is forfeited, so the other host wins and both are paid as usual."""
        with self.db.transaction():
            row = self._visible_row(battle_id, user_id)
            if user_id not in (row["host1Id"], row["host2Id"]):
                raise Forbidden(
                    "Only the two hosts can cancel or end a battle.", code="not_participant"
                )
            if row["status"] == "active":
                return self._end(row, forfeited_by=user_id)
            if row["status"] != "pending":
                raise Conflict(f"This battle is already {row['status']}.", code="battle_over")
            reason = "declined" if user_id == row["host2Id"] else "cancelled"
            self._close(battle_id, "cancelled", reason)
            battle = self._present(self._row(battle_id))
        self._announce(battle, PK.CANCELLED, {"battle": battle, "by": user_id, "reason": reason})
        return battle

    def expire_invitation(self, battle_id: str) -> None:
        with self.db.transaction():
            row = self.db.one("SELECT * FROM pk_battles WHERE id = ?", (battle_id,))
            if row is None or row["status"] != "pending":
                return
            self._close(battle_id, "cancelled", "expired")
            battle = self._present(self._row(battle_id))
        self._announce(battle, PK.CANCELLED, {"battle": battle, "by": None, "reason": "expired"})

    def end_battle(self, battle_id: str) -> None:
        """The battle's time is up (the scheduler's handler): the scores decide."""
        with self.db.transaction():
            row = self.db.one("SELECT * FROM pk_battles WHERE id = ?", (battle_id,))
            if row is not None and row["status"] == "active":
                self._end(row)

    def _end(self, row: Row, forfeited_by: str | None = None) -> dict:
        """Decide the winner, pay both hosts and announce ``pk-battle:ended``, in the caller's
        transaction (the event goes out once it commits)."""
        battle_id = row["id"]
        winner, rewards = reward_plan(
            row["host1Id"], row["host2Id"], row["host1Score"], row["host2Score"], forfeited_by
        )
        for host_id, reward in rewards.items():
            if reward["coins"] or reward["xp"]:
                self.wallet.move(host_id, reward["coins"], "pk:reward", battle_id, reward["xp"])
        reason = "time" if forfeited_by is None else "forfeit"
        self.db.update(
            "pk_battles",
            battle_id,
            {
                "status": "ended",
                "endedAt": now_iso(),
                "endReason": reason,
                "winnerId": winner,
                "isDraw": int(winner is None),
                "rewards": json.dumps(rewards),
            },
        )
        self.scheduler.cancel(END_DEADLINE, battle_id)
        battle = self._present(self._row(battle_id))
        self._announce(
            battle,
            PK.ENDED,
            {
                "battleId": battle_id,
                "winner": winner,
                "isDraw": winner is None,
                "rewards": rewards,
                "scores": battle["scores"],
                "reason": reason,
                "forfeitedBy": forfeited_by,
                "battle": battle,
            },
        )
        return battle

    # ---- gifts ----------------------------------------------------------------------
    def send_gift(
        self, battle_id: str, sender_id: str, gift_id: str, quantity: int, to_host: str
    ) -> dict:
        """One transaction: debit the sender, credit the host, raise the score."""
        gift, coins = self.gifts.price(gift_id, quantity)
        with self.db.transaction():
            row = self._visible_row(battle_id, sender_id)
            if row["status"] != "active" or parse_iso(row["endsAt"]) <= utc_now():
                raise Conflict("This battle is not running; gifts are closed.", code="battle_over")
            side = self._side(row, to_host)
            if to_host == sender_id:
                raise InvalidInput("You cannot send a gift to yourself.", code="self_gift")
            balance = self.wallet.move(sender_id, -coins, "gift:sent", battle_id)
            self.wallet.move(to_host, coins, "gift:received", battle_id)
            self.db.insert(
                "pk_gifts",
                {
                    "battleId": battle_id,
                    "senderId": sender_id,
                    "toHostId": to_host,
                    "giftId": gift["id"],
                    "quantity": quantity,
                    "coins": coins,
                },
            )
            self._add_support(battle_id, sender_id, to_host, coins)
            self.db.execute(
                f"UPDATE pk_battles SET {side}Score = {side}Score + ?, giftCount = giftCount + 1,"
                " updatedAt = ? WHERE id = ?",
                (coins, now_iso(), battle_id),
            )
            row[f"{side}Score"] += coins
            sender = user_cards(self.db, [sender_id])[sender_id]
            supporters = self._top_supporters(row)
        payload = {
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
            "scores": self._scores(row),
            "topSupporters": supporters,
        }
        announce(self.db, self.events, [battle_room(battle_id)], PK.GIFT, payload)
        return {**payload, "balance": balance}

    def note_viewer(self, battle_id: str, user_id: str) -> None:
        """Record that a signed-in viewer (not a host) took part: joined the room or gifted."""
        stamp = now_iso()
        self.db.execute(
            "INSERT OR IGNORE INTO pk_viewers (id, createdAt, updatedAt, battleId, userId)"
            " SELECT lower(hex(randomblob(16))), :t, :t, id, :u FROM pk_battles"
            " WHERE id = :b AND host1Id != :u AND host2Id != :u",
            {"t": stamp, "u": user_id, "b": battle_id},
        )

    def _add_support(self, battle_id: str, sender_id: str, to_host: str, coins: int) -> None:
        stamp = now_iso()
        self.db.execute(
            "INSERT INTO pk_supporters"
            " (id, createdAt, updatedAt, battleId, userId, toHostId, coins)"
            " VALUES (lower(hex(randomblob(16))), ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (battleId, toHostId, userId) DO UPDATE SET"
            " coins = coins + excluded.coins, updatedAt = excluded.updatedAt",
            (stamp, stamp, battle_id, sender_id, to_host, coins),
        )
        self.note_viewer(battle_id, sender_id)

    # ---- reads ----------------------------------------------------------------------
    def get(self, battle_id: str, viewer_id: str) -> dict:
        return self._present(self._visible_row(battle_id, viewer_id))

    def can_watch(self, battle_id: str, viewer_id: str) -> bool:
        try:
            self._visible_row(battle_id, viewer_id)
        except NotFound:
            return False
        return True

    def active(self, limit: int = 50) -> list[dict]:
        rows = self.db.all(
            "SELECT * FROM pk_battles WHERE status = 'active' ORDER BY startedAt DESC LIMIT ?",
            (limit,),
        )
        return [self._present(row) for row in rows]

    def for_user(self, user_id: str, viewer_id: str, limit: int = 50) -> dict:
        require_user(self.db, user_id)
        hide_pending = "" if user_id == viewer_id else "AND status != 'pending'"
        rows = self.db.all(
            f"SELECT * FROM pk_battles WHERE (host1Id = ? OR host2Id = ?) {hide_pending} "
            "ORDER BY createdAt DESC LIMIT ?",
            (user_id, user_id, limit),
        )
        return {"battles": [self._present(r) for r in rows], "stats": self.stats(user_id)}

    def stats(self, user_id: str) -> dict[str, int]:
        row = self.db.one(
            "SELECT COUNT(*) AS battles,"
            " SUM(winnerId = :u) AS wins,"
            " SUM(isDraw) AS draws,"
            " SUM(CASE WHEN host1Id = :u THEN host1Score ELSE host2Score END) AS coinsReceived"
            " FROM pk_battles WHERE status = 'ended' AND (host1Id = :u OR host2Id = :u)",
            {"u": user_id},
        )
        assert row is not None
        battles, wins, draws = row["battles"] or 0, row["wins"] or 0, row["draws"] or 0
        return {
            "battles": battles,
            "wins": wins,
            "draws": draws,
            "losses": battles - wins - draws,
            "coinsReceived": row["coinsReceived"] or 0,
        }

    def leaderboard(self, period: str, metric: str, limit: int = 20) -> dict[str, Any]:
        if period not in (*PERIODS, "all-time"):
            raise InvalidInput(
                "period must be daily, weekly, monthly or all-time.", code="invalid_period"
            )
        if metric not in METRICS:
            raise InvalidInput("metric must be wins or coins.", code="invalid_metric")
        since = iso(utc_now() - PERIODS[period]) if period in PERIODS else ""
        rows = self.db.all(
            "WITH w AS (SELECT winnerId AS userId, COUNT(*) AS wins FROM pk_battles"
            "   WHERE status = 'ended' AND winnerId IS NOT NULL AND endedAt >= :since"
            "   GROUP BY winnerId),"
            " c AS (SELECT toHostId AS userId, SUM(coins) AS coins FROM pk_gifts"
            "   WHERE createdAt >= :since GROUP BY toHostId)"
            " SELECT u.id, u.username, u.displayName,"
            "   COALESCE(w.wins, 0) AS wins, COALESCE(c.coins, 0) AS coins"
            " FROM users u LEFT JOIN w ON w.userId = u.id LEFT JOIN c ON c.userId = u.id"
            " WHERE COALESCE(w.wins, 0) > 0 OR COALESCE(c.coins, 0) > 0"
            f" ORDER BY {metric} DESC, {'coins' if metric == 'wins' else 'wins'} DESC, u.username"
            " LIMIT :limit",
            {"since": since, "limit": limit},
        )
        entries = [
            {
                "rank": rank,
                "user": {"id": r["id"], "username": r["username"], "displayName": r["displayName"]},
                "wins": r["wins"],
                "coins": r["coins"],
            }
            for rank, r in enumerate(rows, start=1)
        ]
        return {"period": period, "metric": metric, "entries": entries}

    def top_supporters(self, battle_id: str) -> dict[str, list[dict]]:
        return self._top_supporters(self._row(battle_id))

    def _top_supporters(self, row: Row) -> dict[str, list[dict]]:
        """Both sides in one statement (each side an index range scan of TOP_SUPPORTERS rows)."""
        side = (
            "SELECT * FROM (SELECT s.toHostId, s.userId AS id, u.username, u.displayName, s.coins"
            " FROM pk_supporters s JOIN users u ON u.id = s.userId"
            " WHERE s.battleId = ? AND s.toHostId = ? ORDER BY s.coins DESC, s.updatedAt LIMIT ?)"
        )
        rows = self.db.all(
            f"{side} UNION ALL {side}",
            (row["id"], row["host1Id"], TOP_SUPPORTERS, row["id"], row["host2Id"], TOP_SUPPORTERS),
        )
        sides = {row["host1Id"]: "host1", row["host2Id"]: "host2"}
        top: dict[str, list[dict]] = {"host1": [], "host2": []}
        for supporter in rows:
            top[sides[supporter.pop("toHostId")]].append(supporter)
        return top

    # ---- helpers --------------------------------------------------------------------
    def _row(self, battle_id: str) -> Row:
        return fetch(self.db, "pk_battles", battle_id, "Battle not found.", "battle_not_found")

    def _visible_row(self, battle_id: str, viewer_id: str) -> Row:
        """A pending invitation is private to its two hosts; everything else is public."""
        row = self._row(battle_id)
        if row["status"] == "pending" and viewer_id not in (row["host1Id"], row["host2Id"]):
            raise NotFound("Battle not found.", code="battle_not_found")
        return row

    def _ensure_free(self, user_id: str, message: str, besides: str = "") -> None:
        """One battle per host: no active battle, and no challenge of their own still waiting."""
        busy = self.db.one(
            "SELECT id FROM pk_battles WHERE id != :besides AND ((status = 'active' AND"
            " (host1Id = :u OR host2Id = :u)) OR (status = 'pending' AND host1Id = :u)) LIMIT 1",
            {"u": user_id, "besides": besides},
        )
        if busy is not None:
            raise Conflict(message, code="host_busy")

    def _close(self, battle_id: str, status: str, reason: str) -> None:
        self.db.update(
            "pk_battles", battle_id, {"status": status, "endedAt": now_iso(), "endReason": reason}
        )
        self.scheduler.cancel(INVITE_DEADLINE, battle_id)
        self.scheduler.cancel(END_DEADLINE, battle_id)

    @staticmethod
    def _forfeiter(row: Row) -> str | None:
        """Who ended the battle early: the host who did not win a forfeited battle."""
        if row["endReason"] != "forfeit":
            return None
        return str(row["host2Id"] if row["winnerId"] == row["host1Id"] else row["host1Id"])

    @staticmethod
    def _side(row: Row, to_host: str) -> str:
        if to_host == row["host1Id"]:
            return "host1"
        if to_host == row["host2Id"]:
            return "host2"
        raise InvalidInput("toHost must be the id of one of the two hosts.", code="invalid_host")

    @staticmethod
    def _scores(row: Row) -> dict[str, int]:
        return {
            "host1": row["host1Score"],
            "host2": row["host2Score"],
            row["host1Id"]: row["host1Score"],
            row["host2Id"]: row["host2Score"],
        }

    def _present(self, row: Row) -> dict[str, Any]:
        users = user_cards(self.db, (row["host1Id"], row["host2Id"]))
        viewers = self.db.scalar("SELECT COUNT(*) FROM pk_viewers WHERE battleId = ?", (row["id"],))
        return {
            "id": row["id"],
            "status": row["status"],
            "title": row["title"],
            "duration": row["duration"],
            "host1": {
                **users.get(row["host1Id"], {"id": row["host1Id"]}),
                "score": row["host1Score"],
            },
            "host2": {
                **users.get(row["host2Id"], {"id": row["host2Id"]}),
                "score": row["host2Score"],
            },
            "scores": {"host1": row["host1Score"], "host2": row["host2Score"]},
            "giftCount": row["giftCount"],
            "viewerCount": viewers,
            "winner": row["winnerId"],
            "isDraw": bool(row["isDraw"]),
            "rewards": json.loads(row["rewards"]) if row["rewards"] else None,
            "inviteExpiresAt": row["inviteExpiresAt"],
            "startedAt": row["startedAt"],
            "endsAt": row["endsAt"],
            "endedAt": row["endedAt"],
            "endReason": row["endReason"],
            "forfeitedBy": self._forfeiter(row),
            "createdAt": row["createdAt"],
            "updatedAt": row["updatedAt"],
            "serverTime": now_iso(),
        }

    def _announce(self, battle: dict, event: str, data: dict[str, Any]) -> None:
        rooms = (
            battle_room(battle["id"]),
            user_room(battle["host1"]["id"]),
            user_room(battle["host2"]["id"]),
        )
        announce(self.db, self.events, rooms, event, data)
