"""Schema migrations of the core and PK battles.

Each feature keeps its migrations in its own ``schema_<feature>.py`` as named steps; ``ALL``
lists them in order. A step runs once: its name is recorded in ``schema_migrations``. Add new
steps at the end of a feature's list; never edit a step that has shipped.
"""

from __future__ import annotations

STAMPS = '"id" TEXT PRIMARY KEY, "createdAt" TEXT NOT NULL, "updatedAt" TEXT NOT NULL'

Migration = tuple[str, list[str]]

CORE: list[Migration] = [
    (
        "core-001",
        [
            f"""CREATE TABLE users ({STAMPS},
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            displayName TEXT NOT NULL,
            passwordHash TEXT NOT NULL,
            role TEXT NOT NULL DEFAULT 'user')""",
            f"""CREATE TABLE ledger ({STAMPS},
            userId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            coins INTEGER NOT NULL,
            xp INTEGER NOT NULL DEFAULT 0,
            kind TEXT NOT NULL,
            refId TEXT)""",
            "CREATE INDEX ledger_user ON ledger(userId)",
            "CREATE INDEX ledger_kind_ref ON ledger(kind, refId)",
            f"""CREATE TABLE gifts ({STAMPS},
            name TEXT NOT NULL,
            coins INTEGER NOT NULL CHECK (coins > 0),
            icon TEXT NOT NULL,
            sortOrder INTEGER NOT NULL DEFAULT 0)""",
            """CREATE TABLE idempotency (
            userId TEXT NOT NULL,
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            response TEXT NOT NULL,
            createdAt TEXT NOT NULL,
            PRIMARY KEY (userId, scope, key))""",
            f"""CREATE TABLE deadlines ({STAMPS},
            kind TEXT NOT NULL,
            refId TEXT NOT NULL,
            dueAt TEXT NOT NULL,
            UNIQUE (kind, refId))""",
            "CREATE INDEX deadlines_due ON deadlines(dueAt)",
            f"""CREATE TABLE pk_battles ({STAMPS},
            host1Id TEXT NOT NULL REFERENCES users(id),
            host2Id TEXT NOT NULL REFERENCES users(id),
            status TEXT NOT NULL,
            duration INTEGER NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            host1Score INTEGER NOT NULL DEFAULT 0,
            host2Score INTEGER NOT NULL DEFAULT 0,
            giftCount INTEGER NOT NULL DEFAULT 0,
            winnerId TEXT,
            isDraw INTEGER NOT NULL DEFAULT 0,
            inviteExpiresAt TEXT,
            startedAt TEXT,
            endsAt TEXT,
            endedAt TEXT,
            endReason TEXT,
            rewards TEXT)""",
            "CREATE INDEX pk_battles_status ON pk_battles(status, host1Id, host2Id)",
            f"""CREATE TABLE pk_gifts ({STAMPS},
            battleId TEXT NOT NULL REFERENCES pk_battles(id),
            senderId TEXT NOT NULL REFERENCES users(id),
            toHostId TEXT NOT NULL,
            giftId TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            coins INTEGER NOT NULL)""",
            "CREATE INDEX pk_gifts_battle ON pk_gifts(battleId, toHostId, senderId)",
            "CREATE INDEX pk_gifts_created ON pk_gifts(createdAt)",
            f"""CREATE TABLE pk_supporters ({STAMPS},
            battleId TEXT NOT NULL REFERENCES pk_battles(id),
            userId TEXT NOT NULL REFERENCES users(id),
            toHostId TEXT NOT NULL,
            coins INTEGER NOT NULL DEFAULT 0,
            UNIQUE (battleId, toHostId, userId))""",
            "CREATE INDEX pk_supporters_rank ON pk_supporters(battleId, toHostId, coins)",
            f"""CREATE TABLE pk_viewers ({STAMPS},
            battleId TEXT NOT NULL REFERENCES pk_battles(id),
            userId TEXT NOT NULL,
            UNIQUE (battleId, userId))""",
        ],
    ),
]

CORE.append(
    (
        "core-002-wallets",
        [
            # A running balance per user, kept in the same transaction as each ledger row so a
            # gift does not sum the whole ledger; the ledger stays the record of truth.
            """CREATE TABLE wallets (
                userId TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
                coins INTEGER NOT NULL DEFAULT 0 CHECK (coins >= 0),
                xp INTEGER NOT NULL DEFAULT 0)""",
            """INSERT INTO wallets (userId, coins, xp)
                SELECT userId, SUM(coins), SUM(xp) FROM ledger GROUP BY userId""",
        ],
    )
)

CORE.append(
    (
        "core-003-pk-supporters-top",
        [
            # A battle's top supporters in rank order (coins, then who got there first): a gift
            # reads its host's first few entries of this index, where the index on coins alone
            # made it read and sort every supporter tied on coins.
            "CREATE INDEX pk_supporters_top"
            " ON pk_supporters(battleId, toHostId, coins DESC, updatedAt)",
            "DROP INDEX pk_supporters_rank",
        ],
    )
)

ALL: list[Migration] = [*CORE]

# Feature steps import STAMPS from here, so they are imported after it is defined.
from backend.storage import (  # noqa: E402
    schema_chat,
    schema_filters,
    schema_gifts,
    schema_media,
    schema_multihost,
    schema_security,
    schema_shopping,
    schema_social,
)

ALL += [
    *schema_multihost.MIGRATIONS,
    *schema_shopping.MIGRATIONS,
    *schema_filters.MIGRATIONS,
    *schema_security.MIGRATIONS,
    *schema_chat.MIGRATIONS,
    *schema_social.MIGRATIONS,
    *schema_gifts.MIGRATIONS,
    *schema_media.MIGRATIONS,
]
