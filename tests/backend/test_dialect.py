"""SQLite's SQL as PostgreSQL reads it (backend/storage/dialect.py): the rewrites the services
rely on. What the rewritten SQL does is proven by the suite's PostgreSQL run."""

from __future__ import annotations

import pytest

from backend.storage.dialect import to_postgres

pytestmark = pytest.mark.one_engine

REWRITES = {
    "camelCase columns quoted, psycopg placeholders": (
        "SELECT displayName FROM users WHERE userId = ? AND x = :limit",
        'SELECT "displayName" FROM users WHERE "userId" = %s AND x = %(limit)s',
    ),
    "% doubled even inside literals, casts kept, LIKE ignores case": (
        "SELECT '50%' WHERE a::text LIKE ?",
        "SELECT '50%%' WHERE a::text ILIKE %s",
    ),
    "INSERT OR IGNORE": (
        "INSERT OR IGNORE INTO wallets (userId) VALUES (?)",
        'INSERT INTO wallets ("userId") VALUES (%s) ON CONFLICT DO NOTHING',
    ),
    "INSERT OR IGNORE ... RETURNING": (
        "INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING a",
        "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING RETURNING a",
    ),
    "upsert: right-hand columns get the table's name": (
        "INSERT INTO pk_supporters (battleId, coins) VALUES (?, ?)"
        " ON CONFLICT (battleId) DO UPDATE SET coins = coins + excluded.coins,"
        " updatedAt = excluded.updatedAt, n = max(n, 1) WHERE coins > 0",
        'INSERT INTO pk_supporters ("battleId", coins) VALUES (%s, %s)'
        ' ON CONFLICT ("battleId") DO UPDATE SET coins = pk_supporters.coins + excluded.coins,'
        ' "updatedAt" = excluded."updatedAt", n = max(pk_supporters.n, 1) WHERE coins > 0',
    ),
    "a derived table without an alias gets one": (
        "SELECT * FROM (SELECT a FROM x WHERE b IN (SELECT 1)) WHERE a > 0",
        "SELECT * FROM (SELECT a FROM x WHERE b IN (SELECT 1)) AS derived_1 WHERE a > 0",
    ),
    "a derived table with an alias keeps it": (
        "SELECT * FROM (SELECT a FROM x) s",
        "SELECT * FROM (SELECT a FROM x) s",
    ),
    "CREATE TABLE: wide types, citext for NOCASE, a rowid": (
        'CREATE TABLE users ("id" TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE,'
        " coins INTEGER NOT NULL, ratio REAL, blob BLOB)",
        'CREATE TABLE users ("id" TEXT PRIMARY KEY, username CITEXT NOT NULL UNIQUE,'
        " coins BIGINT NOT NULL, ratio DOUBLE PRECISION, blob BYTEA, rowid BIGSERIAL)",
    ),
    "ADD COLUMN: wide types": (
        "ALTER TABLE t ADD COLUMN hits INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE t ADD COLUMN hits BIGINT NOT NULL DEFAULT 0",
    ),
    "IFNULL and GROUP_CONCAT": (
        "SELECT IFNULL(a, 0), GROUP_CONCAT(b, ',') FROM t",
        "SELECT COALESCE(a, 0), string_agg(b, ',') FROM t",
    ),
    "COLLATE NOCASE in a query": (
        "SELECT id FROM users WHERE username = ? COLLATE NOCASE",
        "SELECT id FROM users WHERE username = %s::citext",
    ),
    "PRAGMA table_info": (
        'PRAGMA table_info("ledger")',
        "SELECT column_name AS name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'ledger'",
    ),
    "a parameter only checked for NULL gets a type": (
        "SELECT 1 WHERE (:status IS NULL OR status = :status)",
        "SELECT 1 WHERE (%(status)s::text IS NULL OR status = %(status)s)",
    ),
}


@pytest.mark.parametrize(("sqlite", "postgres"), REWRITES.values(), ids=REWRITES.keys())
def test_sqlite_sql_is_rewritten_for_postgres(sqlite: str, postgres: str) -> None:
    assert to_postgres(sqlite) == postgres


def test_insert_or_replace_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="ON CONFLICT"):
        to_postgres("INSERT OR REPLACE INTO t (a) VALUES (?)")
