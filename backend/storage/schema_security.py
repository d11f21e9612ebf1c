"""Schema for hardening: what an Idempotency-Key was first used for, single-use WebSocket
tickets, and stream keys for encoders (OBS, FFmpeg, GStreamer) publishing over WHIP."""

from __future__ import annotations

from backend.storage.schema import STAMPS, Migration

MIGRATIONS: list[Migration] = [
    (
        "security-001",
        [
            # The fingerprint of the request a key was first used with ('' for rows stored
            # before it was kept: those replay for any body, as they always did).
            "ALTER TABLE idempotency ADD COLUMN requestHash TEXT NOT NULL DEFAULT ''",
            # Single-use /ws tickets, kept as SHA-256 digests.
            """CREATE TABLE ws_tickets (
            ticketHash TEXT PRIMARY KEY,
            userId TEXT NOT NULL,
            username TEXT NOT NULL,
            role TEXT NOT NULL,
            expiresAt REAL NOT NULL)""",
        ],
    ),
    (
        "security-002",
        [
            # A key publishes one stream of its owner; kept as a SHA-256 digest, shown once.
            f"""CREATE TABLE stream_keys ({STAMPS},
            userId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            stream TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            keyHash TEXT NOT NULL UNIQUE,
            hint TEXT NOT NULL,
            lastUsedAt TEXT,
            revokedAt TEXT)""",
            "CREATE INDEX stream_keys_stream ON stream_keys(stream)",
        ],
    ),
]
