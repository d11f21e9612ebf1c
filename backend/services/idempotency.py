"""Idempotency keys: a repeated request with the same key returns the first answer, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from backend.errors import InvalidInput
from backend.storage.db import Database, now_iso

MAX_KEY_LENGTH = 128
Result = dict[str, Any]


class IdempotencyService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def run_once(
        self, user_id: str, scope: str, key: str | None, action: Callable[[], Result]
    ) -> tuple[Result, bool]:
        """Run ``action`` unless ``key`` was seen; returns (result, replayed) once committed.

        The action shares its transaction (and its commit) with concurrent requests, so a burst
        of gifts costs one commit, not one each."""
        if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise InvalidInput(f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} characters.")
        return await self.db.commit_together(lambda: self._once(user_id, scope, key, action))

    def _once(
        self, user_id: str, scope: str, key: str | None, action: Callable[[], Result]
    ) -> tuple[Result, bool]:
        if key is None:
            return action(), False
        stored = self.db.scalar(
            "SELECT response FROM idempotency WHERE userId = ? AND scope = ? AND key = ?",
            (user_id, scope, key),
        )
        if stored is not None:
            return json.loads(stored), True
        result = action()
        self.db.execute(
            "INSERT INTO idempotency (userId, scope, key, response, createdAt) "
            "VALUES (?, ?, ?, ?, ?)",
            (user_id, scope, key, json.dumps(result), now_iso()),
        )
        return result, False
