"""The rules of a PK battle: how long it runs, who wins, what each host earns."""

from __future__ import annotations

from datetime import timedelta

from backend.errors import InvalidInput
from backend.storage.db import Row
from wire.pk import Reward, Side

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
) -> tuple[str | None, dict[str, Reward]]:
    """Winner (None for a draw) and the coins/XP each host earns.

    A host who ends a running battle early (``forfeited_by``) loses whatever the scores say;
    the rewards are the same as for a battle decided on points.
    """
    if forfeited_by is None and score1 == score2:
        same = Reward(coins=DRAW_COINS, xp=DRAW_XP)
        return None, {host1: same, host2: same}
    if forfeited_by is not None:
        winner, loser = (host2, host1) if forfeited_by == host1 else (host1, host2)
    else:
        winner, loser = (host1, host2) if score1 > score2 else (host2, host1)
    bonus = WIN_BASE_COINS + int((score1 + score2) * WIN_SHARE)
    return winner, {winner: Reward(coins=bonus, xp=WIN_XP), loser: Reward(coins=0, xp=LOSE_XP)}


def check_duration(minutes: int) -> None:
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InvalidInput(
            f"Battle duration must be {MIN_MINUTES}–{MAX_MINUTES} minutes.",
            code="invalid_duration",
        )


def side_of(row: Row, to_host: str) -> Side:
    """Which side of the battle ``to_host`` is on; anyone else is not a host."""
    if to_host == row["host1Id"]:
        return "host1"
    if to_host == row["host2Id"]:
        return "host2"
    raise InvalidInput("toHost must be the id of one of the two hosts.", code="invalid_host")


def forfeiter(row: Row) -> str | None:
    """Who ended the battle early: the host who did not win a forfeited battle."""
    if row["endReason"] != "forfeit":
        return None
    return str(row["host2Id"] if row["winnerId"] == row["host1Id"] else row["host1Id"])
