"""Schema of the live chat (issue 17): messages, each stream's chat rules, moderators, bans,
timeouts, reports and the moderation log.

A chat belongs to a stream by its canonical name (``alice`` or ``alice~label``).
``chat_messages.status`` is ``visible``, ``held`` (a blocked word, waiting for review),
``rejected`` (a held message a moderator refused), ``deleted`` or ``cleared``: only ``visible``
rows are served; the others stay as tombstones for the moderation log until retention removes
them. History pages by ``rowid`` (insertion order).
"""

from __future__ import annotations

from backend.storage.schema import STAMPS, Migration

MIGRATIONS: list[Migration] = [
    (
        "chat-001",
        [
            f"""CREATE TABLE chat_messages ({STAMPS},
            stream TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('user', 'system')),
            systemKind TEXT,
            authorId TEXT REFERENCES users(id) ON DELETE SET NULL,
            authorRole TEXT,
            text TEXT NOT NULL,
            masked INTEGER NOT NULL DEFAULT 0,
            matched TEXT,
            status TEXT NOT NULL DEFAULT 'visible',
            removedBy TEXT,
            removedAt TEXT)""",
            "CREATE INDEX chat_messages_stream ON chat_messages(stream, status)",
            "CREATE INDEX chat_messages_author ON chat_messages(stream, authorId)",
            "CREATE INDEX chat_messages_created ON chat_messages(createdAt)",
            f"""CREATE TABLE chat_rooms ({STAMPS},
            stream TEXT NOT NULL UNIQUE,
            slowModeSeconds INTEGER NOT NULL DEFAULT 0 CHECK (slowModeSeconds >= 0),
            membersOnly INTEGER NOT NULL DEFAULT 0,
            minAccountAgeMinutes INTEGER NOT NULL DEFAULT 0 CHECK (minAccountAgeMinutes >= 0),
            linksAllowed INTEGER NOT NULL DEFAULT 0,
            blockedWords TEXT NOT NULL DEFAULT '[]',
            blockedAction TEXT NOT NULL DEFAULT 'mask' CHECK (blockedAction IN ('mask', 'hold')),
            pinnedMessageId TEXT,
            pinnedBy TEXT)""",
            f"""CREATE TABLE chat_moderators ({STAMPS},
            stream TEXT NOT NULL,
            userId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            appointedBy TEXT NOT NULL,
            UNIQUE (stream, userId))""",
            "CREATE INDEX chat_moderators_user ON chat_moderators(userId)",
            f"""CREATE TABLE chat_bans ({STAMPS},
            stream TEXT NOT NULL,
            userId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            byId TEXT NOT NULL,
            UNIQUE (stream, userId))""",
            f"""CREATE TABLE chat_timeouts ({STAMPS},
            stream TEXT NOT NULL,
            userId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            byId TEXT NOT NULL,
            untilAt TEXT NOT NULL,
            UNIQUE (stream, userId))""",
            f"""CREATE TABLE chat_reports ({STAMPS},
            stream TEXT NOT NULL,
            messageId TEXT NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,
            reporterId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            reason TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'open',
            resolvedBy TEXT,
            UNIQUE (messageId, reporterId))""",
            "CREATE INDEX chat_reports_stream ON chat_reports(stream, status)",
            f"""CREATE TABLE chat_actions ({STAMPS},
            stream TEXT NOT NULL,
            actorId TEXT NOT NULL,
            action TEXT NOT NULL,
            targetUserId TEXT,
            messageId TEXT,
            detail TEXT NOT NULL DEFAULT '')""",
            "CREATE INDEX chat_actions_stream ON chat_actions(stream)",
        ],
    ),
]
