"""``onair admin migrate-to-postgres``: copy a SQLite database into an empty PostgreSQL one.

Both sides are migrated to the same schema first (the SQLite file is brought up to date).
Every table is copied whole (users, wallets and ledger, battles, sessions, orders, catalog,
chat...), parents before children, in one PostgreSQL transaction with ``COPY``; SQLite's
``rowid`` is kept, so insertion order (chat history, pins) survives. Then the totals are
compared: row counts of every table, the coins and xp of the ledger and of the wallets, and
each user's ledger against their wallet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from backend.storage.db import Database
from backend.storage.postgres import PostgresDatabase

# Sums that must be equal on both sides (name → SQL giving one number).
TOTALS = {
    "ledger coins": "SELECT COALESCE(SUM(coins), 0) FROM ledger",
    "ledger xp": "SELECT COALESCE(SUM(xp), 0) FROM ledger",
    "wallet coins": "SELECT COALESCE(SUM(coins), 0) FROM wallets",
    "wallet xp": "SELECT COALESCE(SUM(xp), 0) FROM wallets",
    "wallets that differ from their ledger": (
        "SELECT COUNT(*) FROM wallets w WHERE w.coins <> (SELECT COALESCE(SUM(l.coins), 0)"
        " FROM ledger l WHERE l.userId = w.userId)"
    ),
    "order totals": "SELECT COALESCE(SUM(total), 0) FROM shopping_orders",
    "stock": "SELECT COALESCE(SUM(stock), 0) FROM products",
}


class CopyRefused(Exception):
    """The copy cannot start (the target is not empty, the source is missing)."""


@dataclass
class CopyReport:
    rows: dict[str, int] = field(default_factory=dict)
    totals: dict[str, tuple[int, int]] = field(default_factory=dict)  # name → (source, target)
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def copy_sqlite_to_postgres(source: Path, target_url: str) -> CopyReport:
    if not source.is_file():
        raise CopyRefused(f"There is no SQLite database at {source}.")
    sqlite = Database(source)
    postgres = PostgresDatabase(target_url)
    try:
        if postgres.scalar("SELECT COUNT(*) FROM users"):
            raise CopyRefused(
                "The PostgreSQL database already has users; copy into an empty database "
                "(createdb a new one) so nothing is mixed or overwritten."
            )
        tables = tables_parents_first(sqlite)
        with postgres.transaction():
            for table in tables:
                copy_table(sqlite, postgres, table)
        return verify(sqlite, postgres, tables)
    finally:
        sqlite.close()
        postgres.close()


def tables_parents_first(sqlite: Database) -> list[str]:
    """The data tables in an order where every foreign key points to a table already copied."""
    names = [
        row["name"]
        for row in sqlite.all(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name"
        )
    ]
    parents = {
        name: {
            row["table"]
            for row in sqlite.all(f'PRAGMA foreign_key_list("{name}")')
            if row["table"] != name
        }
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and parents[n] <= set(ordered)]
        if not ready:
            raise CopyRefused(f"Foreign keys form a cycle among {set(names) - set(ordered)}.")
        ordered += ready
    return ordered


def copy_table(sqlite: Database, postgres: PostgresDatabase, table: str) -> None:
    columns = [row["name"] for row in sqlite.all(f'PRAGMA table_info("{table}")')]
    quoted = ", ".join(f'"{column}"' for column in [*columns, "rowid"])
    rows = sqlite.all(f'SELECT {quoted} FROM "{table}" ORDER BY rowid')
    postgres.copy_rows(table, [*columns, "rowid"], [tuple(row.values()) for row in rows])
    postgres.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'rowid'),"
        f' COALESCE((SELECT MAX(rowid) FROM "{table}"), 0) + 1, false)'
    )


def verify(sqlite: Database, postgres: PostgresDatabase, tables: list[str]) -> CopyReport:
    report = CopyReport()
    for table in tables:
        before = sqlite.scalar(f'SELECT COUNT(*) FROM "{table}"')
        after = postgres.scalar(f'SELECT COUNT(*) FROM "{table}"')
        report.rows[table] = after
        if before != after:
            report.mismatches.append(f"{table}: {before} rows in SQLite, {after} in PostgreSQL")
    for name, sql in TOTALS.items():
        pair = (int(sqlite.scalar(sql)), int(postgres.scalar(sql)))
        report.totals[name] = pair
        if pair[0] != pair[1]:
            report.mismatches.append(f"{name}: {pair[0]} in SQLite, {pair[1]} in PostgreSQL")
    return report
