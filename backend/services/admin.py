"""What an operator does from the command line: account roles (``onair admin grant
USERNAME``) and the account flags that need a person's look (``onair admin flags``)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.errors import Conflict, InvalidInput, NotFound
from backend.storage.db import Database, Row, now_iso

ROLES = ("user", "admin")
_FLAGS = "SELECT f.*, u.username FROM account_flags f JOIN users u ON u.id = f.userId"


def set_role(db: Database, username: str, role: str) -> str:
    """Give ``username`` the ``role``; returns the user's id. Tokens already issued follow it."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}.", code="invalid_role")
    with db.transaction():
        row = db.one("SELECT id FROM users WHERE username = ?", (username,))
        if row is None:
            raise NotFound(f"There is no user '{username}'.", code="user_not_found")
        db.update("users", row["id"], {"role": role})
        return str(row["id"])


@dataclass(frozen=True)
class AccountFlag:
    """Something about an account that needs a person's look (e.g. a refund's shortfall)."""

    id: str
    username: str
    reason: str
    ref_id: str  # what it is about: for a refund shortfall, the coin purchase
    coins: int
    note: str
    created_at: str
    resolved_at: str | None
    resolution: str


def account_flags(db: Database, include_resolved: bool = False) -> list[AccountFlag]:
    """The open flags, oldest first (with ``include_resolved``, every flag)."""
    rows = db.all(
        _FLAGS
        + ("" if include_resolved else " WHERE f.resolvedAt IS NULL")
        + " ORDER BY f.createdAt, f.id"
    )
    return [_flag(row) for row in rows]


def resolve_flag(db: Database, flag_id: str, resolution: str) -> AccountFlag:
    """Close a flag with what was done about it (kept with the flag)."""
    resolution = " ".join(resolution.split())
    if not resolution:
        raise InvalidInput(
            "Say what was done about it (--note), e.g. 'buyer paid the 499 coins back'.",
            code="resolution_required",
        )
    with db.transaction():
        row = db.one("SELECT resolvedAt FROM account_flags WHERE id = ?", (flag_id,))
        if row is None:
            raise NotFound(
                f"There is no flag '{flag_id}' (onair admin flags lists them).",
                code="flag_not_found",
            )
        if row["resolvedAt"] is not None:
            raise Conflict(
                f"Flag '{flag_id}' was already resolved at {row['resolvedAt']}.",
                code="flag_resolved",
            )
        db.update("account_flags", flag_id, {"resolvedAt": now_iso(), "resolution": resolution})
    flag = db.one(_FLAGS + " WHERE f.id = ?", (flag_id,))
    assert flag is not None
    return _flag(flag)


def _flag(row: Row) -> AccountFlag:
    return AccountFlag(
        id=row["id"],
        username=row["username"],
        reason=row["reason"],
        ref_id=row["refId"],
        coins=int(row["coins"]),
        note=row["note"],
        created_at=row["createdAt"],
        resolved_at=row["resolvedAt"],
        resolution=row["resolution"],
    )
