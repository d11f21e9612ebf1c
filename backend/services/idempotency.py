"""Idempotency keys: a repeated request with the same key returns the first answer, once.

A key belongs to one request: reused with a different body it is refused (422
``idempotency_key_reused``, as payment APIs do) instead of answering for the first body."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from backend.errors import InvalidInput, Unprocessable
from backend.storage.db import Database, now_iso

MAX_KEY_LENGTH = 128
Result = dict[str, Any]


def request_fingerprint(request: Any) -> str:
    """A stable digest of a request's parsed body (key order and spacing do not matter)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def run_once(
        self,
        user_id: str,
        scope: str,
        key: str | None,
        action: Callable[[], Result],
        fingerprint: str = "",
        row_locked: bool = False,
    ) -> tuple[Result, bool]:
        """Run ``action`` unless ``key`` was seen; returns (result, replayed) once committed.

        ``fingerprint`` identifies the request (``request_fingerprint`` of its body): a key
        seen with another fingerprint raises ``Unprocessable``. The action shares its
        transaction (and its commit) with concurrent requests, so a burst of gifts costs one
        commit, not one each. ``row_locked``: see ``Database.commit_together`` (the key is
        claimed by its unique row before the action runs, so two nodes never both act on it)."""
        if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise InvalidInput(f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} characters.")
        return await self.db.commit_together(
            lambda: self._once(user_id, scope, key, action, fingerprint), row_locked
        )

    def _once(
        self,
        user_id: str,
        scope: str,
        key: str | None,
        action: Callable[[], Result],
        fingerprint: str,
    ) -> tuple[Result, bool]:
        if key is None:
            return action(), False
        # The claim: a key another transaction holds waits here until that one commits (then
        # its answer is read) or rolls back (then this one claims it).
        claimed = self.db.execute(
            "INSERT INTO idempotency (userId, scope, key, response, requestHash, createdAt)"
            " VALUES (?, ?, ?, '', ?, ?) ON CONFLICT (userId, scope, key) DO NOTHING",
            (user_id, scope, key, fingerprint, now_iso()),
        )
        if not claimed:
            return self._replay(user_id, scope, key, fingerprint), True
        result = action()
        self.db.write(
            "UPDATE idempotency SET response = ? WHERE userId = ? AND scope = ? AND key = ?",
            (json.dumps(result), user_id, scope, key),
        )
        return result, False

    def _replay(self, user_id: str, scope: str, key: str, fingerprint: str) -> Result:
        """The stored answer of ``key``; a different request under it is refused."""
        stored = self.db.one(
            "SELECT response, requestHash FROM idempotency"
            " WHERE userId = ? AND scope = ? AND key = ?",
            (user_id, scope, key),
        )
        assert stored is not None
        if stored["requestHash"] and stored["requestHash"] != fingerprint:
            raise Unprocessable(
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new request.",
                code="idempotency_key_reused",
            )
        return dict(json.loads(stored["response"]))
