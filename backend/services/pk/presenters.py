"""Battle rows as wire models (no rules here)."""

from __future__ import annotations

import json

from backend.services.pk.rules import TOP_SUPPORTERS, forfeiter
from backend.services.records import user_cards
from backend.storage.db import Database, Row, utc_now
from wire.pk import Battle, BattleHost, Reward, Scores, TopSupporters


def present_battle(db: Database, row: Row) -> Battle:
    cards = user_cards(db, (row["host1Id"], row["host2Id"]))
    viewers = db.scalar("SELECT COUNT(*) FROM pk_viewers WHERE battleId = ?", (row["id"],))
    rewards = json.loads(row["rewards"]) if row["rewards"] else None
    return Battle(
        id=row["id"],
        status=row["status"],
        title=row["title"],
        duration=row["duration"],
        host1=BattleHost(**cards[row["host1Id"]], score=row["host1Score"]),
        host2=BattleHost(**cards[row["host2Id"]], score=row["host2Score"]),
        scores=scores(row),
        gift_count=row["giftCount"],
        viewer_count=viewers,
        winner=row["winnerId"],
        is_draw=bool(row["isDraw"]),
        rewards=None if rewards is None else {h: Reward(**r) for h, r in rewards.items()},
        invite_expires_at=row["inviteExpiresAt"],
        started_at=row["startedAt"],
        ends_at=row["endsAt"],
        ended_at=row["endedAt"],
        end_reason=row["endReason"],
        forfeited_by=forfeiter(row),
        created_at=row["createdAt"],
        updated_at=row["updatedAt"],
        server_time=utc_now(),
    )


def scores(row: Row) -> Scores:
    return Scores(host1=row["host1Score"], host2=row["host2Score"])


def scores_by_side_and_host(row: Row) -> dict[str, int]:
    """Each side's score under ``host1``/``host2`` and under the host's id (gift events)."""
    return {
        "host1": row["host1Score"],
        "host2": row["host2Score"],
        row["host1Id"]: row["host1Score"],
        row["host2Id"]: row["host2Score"],
    }


def top_supporters(db: Database, row: Row) -> TopSupporters:
    return TopSupporters.model_validate(top_supporter_rows(db, row))


SUPPORTERS_OF_SIDE = (
    "SELECT * FROM (SELECT s.toHostId, s.userId AS id, u.username, u.displayName, s.coins"
    " FROM pk_supporters s JOIN users u ON u.id = s.userId"
    " WHERE s.battleId = ? AND s.toHostId = ? ORDER BY s.coins DESC, s.updatedAt LIMIT ?)"
)
TOP_SUPPORTERS_SQL = f"{SUPPORTERS_OF_SIDE} UNION ALL {SUPPORTERS_OF_SIDE}"
# A user's card in the same columns, under no host.
CARD_SQL = "SELECT NULL, id, username, displayName, NULL FROM users WHERE id = ?"


def top_supporter_rows(db: Database, row: Row) -> dict[str, list[Row]]:
    """``{"host1": [...], "host2": [...]}`` in wire form, both sides in one statement (each side
    an index range scan of TOP_SUPPORTERS rows)."""
    return _by_side(row, db.all(TOP_SUPPORTERS_SQL, _sides(row)))[0]


def top_supporters_and_card(
    db: Database, row: Row, user_id: str
) -> tuple[dict[str, list[Row]], Row]:
    """``top_supporter_rows`` and the card ``{id, username, displayName}`` of ``user_id`` (a
    gift's sender), in one statement."""
    rows = db.all(f"{TOP_SUPPORTERS_SQL} UNION ALL {CARD_SQL}", (*_sides(row), user_id))
    sides, cards = _by_side(row, rows)
    return sides, cards[user_id]


def _sides(row: Row) -> tuple[object, ...]:
    return (row["id"], row["host1Id"], TOP_SUPPORTERS, row["id"], row["host2Id"], TOP_SUPPORTERS)


def _by_side(row: Row, rows: list[Row]) -> tuple[dict[str, list[Row]], dict[str, Row]]:
    """The supporters of each side, in rank order, and the cards under no host by id."""
    sides: dict[str, list[Row]] = {row["host1Id"]: [], row["host2Id"]: []}
    cards: dict[str, Row] = {}
    for found in rows:
        host = found.pop("toHostId")
        if host is None:
            del found["coins"]
            cards[found["id"]] = found
        else:
            sides[host].append(found)
    return {"host1": sides[row["host1Id"]], "host2": sides[row["host2Id"]]}, cards
