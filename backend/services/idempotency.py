"""Idempotency keys: a repeated request with the same key returns the first answer, once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from backend.errors import InvalidInput
from backend.storage.db import Database, now_iso

T = TypeVar("T")
MAX_KEY_LENGTH = 128


class IdempotencyService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def run_once(
        self, user_id: str, scope: str, key: str | None, action: Callable[[], T]
    ) -> tuple[T | Any, bool]:
        """Run ``action`` in one transaction unless ``key`` was seen; returns (result, replayed)."""
        if key is None:
            with self.db.transaction():
                return action(), False
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise InvalidInput(f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} characters.")
        with self.db.transaction():
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
