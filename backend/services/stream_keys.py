"""Stream keys: what an encoder (OBS, FFmpeg's WHIP muxer, GStreamer's whipclientsink) sends as
``Authorization: Bearer <key>`` to publish over WHIP.

A key is long-lived and revocable, and publishes exactly one stream of its owner: nothing else
in the API accepts it (it is not a login token). It is shown once when made; the database
keeps its SHA-256 digest and a hint (its last characters) to tell keys apart.
"""

from __future__ import annotations

import hashlib
import secrets

from backend.errors import Forbidden, NotFound, Unauthorized
from backend.identity import AuthUser
from backend.services.webrtc import owns_stream, validate_stream_name
from backend.storage.db import Database, Row, now_iso

KEY_PREFIX = "onair_sk_"
HINT_LENGTH = 4
MAX_KEYS_PER_STREAM = 20


def is_stream_key(credential: str) -> bool:
    return credential.startswith(KEY_PREFIX)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class StreamKeyService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, user: AuthUser, stream: str, label: str = "") -> tuple[str, Row]:
        """A new key for ``stream`` (the caller's own): (the key, shown once; its row)."""
        self._check_owner(user, stream)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction():
            if len(self.listed(user, stream)) >= MAX_KEYS_PER_STREAM:
                raise Forbidden(
                    f"A stream has at most {MAX_KEYS_PER_STREAM} keys; revoke one first.",
                    code="too_many_keys",
                )
            row = self.db.insert(
                "stream_keys",
                {
                    "userId": user.id,
                    "stream": stream,
                    "label": label.strip(),
                    "keyHash": _digest(key),
                    "hint": key[-HINT_LENGTH:],
                },
            )
        return key, row

    def listed(self, user: AuthUser, stream: str) -> list[Row]:
        self._check_owner(user, stream)
        return self.db.all(
            "SELECT * FROM stream_keys WHERE userId = ? AND stream = ? AND revokedAt IS NULL"
            " ORDER BY createdAt",
            (user.id, stream),
        )

    def revoke(self, user: AuthUser, stream: str, key_id: str) -> None:
        self._check_owner(user, stream)
        with self.db.transaction():
            row = self.db.one(
                "SELECT id FROM stream_keys WHERE id = ? AND userId = ? AND stream = ?"
                " AND revokedAt IS NULL",
                (key_id, user.id, stream),
            )
            if row is None:
                raise NotFound("No such stream key.", code="stream_key_not_found")
            self.db.update("stream_keys", key_id, {"revokedAt": now_iso()})

    def authorize(self, stream: str, key: str) -> Row:
        """The key's row if it may publish ``stream`` now (its last use is recorded)."""
        row = self.db.one("SELECT * FROM stream_keys WHERE keyHash = ?", (_digest(key),))
        if row is None:
            raise Unauthorized("Unknown stream key.", code="invalid_stream_key")
        if row["revokedAt"] is not None:
            raise Forbidden(
                "This stream key was revoked; make a new one in the studio's settings.",
                code="stream_key_revoked",
            )
        if row["stream"] != stream:
            raise Forbidden(
                f"This stream key publishes '{row['stream']}', not '{stream}'.",
                code="wrong_stream",
            )
        with self.db.transaction():
            self.db.update("stream_keys", row["id"], {"lastUsedAt": now_iso()})
        return row

    def is_active(self, key_id: str) -> bool:
        return (
            self.db.scalar(
                "SELECT 1 FROM stream_keys WHERE id = ? AND revokedAt IS NULL", (key_id,)
            )
            is not None
        )

    @staticmethod
    def _check_owner(user: AuthUser, stream: str) -> None:
        validate_stream_name(stream)
        if not owns_stream(stream, user.username):
            raise Forbidden(
                f"You may only manage keys of your own streams ({user.username}, ...).",
                code="not_your_stream",
            )
