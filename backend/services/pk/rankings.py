"""A host's record and the leaderboards: read-only views of ended battles and gifts."""

from __future__ import annotations

from backend.errors import InvalidInput
from backend.services.pk.rules import METRICS, PERIODS
from backend.storage.db import Database, iso, utc_now
from wire.pk import BattleStats, Leaderboard, Ranking
from wire.users import UserCard


class PKRankings:
    def __init__(self, db: Database) -> None:
        self.db = db

    def stats(self, user_id: str) -> BattleStats:
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
        return BattleStats(
            battles=battles,
            wins=wins,
            draws=draws,
            losses=battles - wins - draws,
            coins_received=row["coinsReceived"] or 0,
        )

    def leaderboard(self, period: str, metric: str, limit: int = 20) -> Leaderboard:
        if period not in (*PERIODS, "all-time"):
            raise InvalidInput(
                "period must be daily, weekly, monthly or all-time.", code="invalid_period"
            )
        if metric not in METRICS:
            raise InvalidInput("metric must be wins or coins.", code="invalid_metric")
        since = iso(utc_now() - PERIODS[period]) if period in PERIODS else ""
        found = self.db.all(
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
            Ranking(rank=rank, user=UserCard.model_validate(r), wins=r["wins"], coins=r["coins"])
            for rank, r in enumerate(found, start=1)
        ]
        return Leaderboard.model_validate({"period": period, "metric": metric, "entries": entries})
