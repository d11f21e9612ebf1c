"""A stream is named after its streamer: ``username`` or ``username~label``."""

from __future__ import annotations

from backend.errors import NotFound
from backend.storage.db import Database, Row

MAX_STREAM_NAME = 64


def owner_of(stream: str) -> str:
    """A stream is named after its owner: ``username`` or ``username~label``."""
    return stream.split("~", 1)[0]


def find_streamer(db: Database, stream: str) -> Row:
    """The account a stream is named after (``id``, ``username``, ``displayName``)."""
    if not stream or len(stream) > MAX_STREAM_NAME:
        raise NotFound("There is no such stream.", code="stream_not_found")
    row = db.one(
        "SELECT id, username, displayName FROM users WHERE username = ? COLLATE NOCASE",
        (owner_of(stream),),
    )
    if row is None:
        raise NotFound(f"There is no stream called '{stream}'.", code="stream_not_found")
    return row


def canonical_name(stream: str, username: str) -> str:
    """The stream's name with its owner spelled as registered (``ALICE~x`` → ``alice~x``)."""
    _, tilde, label = stream.partition("~")
    return f"{username}{tilde}{label}"
