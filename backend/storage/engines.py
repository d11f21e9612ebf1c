"""Which database a backend uses: a PostgreSQL URL when one is given, else the SQLite file."""

from __future__ import annotations

from pathlib import Path

from backend.storage.db import Database

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def check_database_url(url: str) -> None:
    """Raise ValueError unless ``url`` is empty (SQLite) or a PostgreSQL URL."""
    if url and not url.startswith(POSTGRES_SCHEMES):
        raise ValueError(
            f"database URL must start with postgresql:// (got {url.split('://')[0]}://…); "
            "leave it out to use the SQLite file"
        )


def open_database(db_path: Path, database_url: str = "") -> Database:
    check_database_url(database_url)
    if database_url:
        from backend.storage.postgres import PostgresDatabase

        return PostgresDatabase(database_url)
    return Database(db_path)
