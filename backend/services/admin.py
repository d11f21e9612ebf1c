"""Account roles an operator sets from the command line (``onair admin grant USERNAME``)."""

from __future__ import annotations

from backend.errors import InvalidInput, NotFound
from backend.storage.db import Database

ROLES = ("user", "admin")


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
