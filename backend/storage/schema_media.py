"""Schema for several nodes: which node's SFU holds each live stream, and each node's address
and last heartbeat (a node that stops beating is dead and its streams are released)."""

from __future__ import annotations

from backend.storage.schema import Migration

MIGRATIONS: list[Migration] = [
    (
        "media-001",
        [
            """CREATE TABLE media_nodes (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            seenAt TEXT NOT NULL)""",
            """CREATE TABLE media_streams (
            stream TEXT PRIMARY KEY,
            nodeId TEXT NOT NULL,
            ownerId TEXT NOT NULL,
            since TEXT NOT NULL)""",
            "CREATE INDEX media_streams_node ON media_streams (nodeId)",
        ],
    ),
    (
        # What another node's home page lists of a stream: whether guests may see it, and
        # since when its holder has a still of it (none yet: NULL).
        "media-002",
        [
            "ALTER TABLE media_streams ADD COLUMN membersOnly INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE media_streams ADD COLUMN stillAt TEXT",
        ],
    ),
]
