"""Schema of co-host (multi-host) sessions: sessions, their hosts, invitations and requests."""

from __future__ import annotations

from backend.storage.schema import STAMPS, Migration

MIGRATIONS: list[Migration] = [
    (
        "multihost-001",
        [
            f"""CREATE TABLE multihost_sessions ({STAMPS},
            primaryHostId TEXT NOT NULL REFERENCES users(id),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            type TEXT NOT NULL,
            status TEXT NOT NULL,
            maxHosts INTEGER NOT NULL,
            layout TEXT NOT NULL,
            startedAt TEXT,
            endedAt TEXT,
            endReason TEXT)""",
            "CREATE INDEX multihost_sessions_status ON multihost_sessions(status, startedAt)",
            f"""CREATE TABLE multihost_hosts ({STAMPS},
            sessionId TEXT NOT NULL REFERENCES multihost_sessions(id),
            userId TEXT NOT NULL REFERENCES users(id),
            role TEXT NOT NULL,
            canManage INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,
            audioEnabled INTEGER NOT NULL DEFAULT 1,
            videoEnabled INTEGER NOT NULL DEFAULT 1,
            screenSharing INTEGER NOT NULL DEFAULT 0,
            volume INTEGER NOT NULL DEFAULT 100,
            streamId TEXT,
            joinedAt TEXT NOT NULL,
            leftAt TEXT,
            leaveReason TEXT,
            UNIQUE (sessionId, userId))""",
            "CREATE INDEX multihost_hosts_user ON multihost_hosts(userId, status)",
            f"""CREATE TABLE multihost_invites ({STAMPS},
            sessionId TEXT NOT NULL REFERENCES multihost_sessions(id),
            userId TEXT NOT NULL REFERENCES users(id),
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            invitedBy TEXT,
            canManage INTEGER NOT NULL DEFAULT 0,
            message TEXT NOT NULL DEFAULT '',
            expiresAt TEXT NOT NULL,
            answeredBy TEXT)""",
            "CREATE UNIQUE INDEX multihost_invites_pending ON multihost_invites(sessionId, userId)"
            " WHERE status = 'pending'",
        ],
    ),
]
