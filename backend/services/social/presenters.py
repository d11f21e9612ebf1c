"""Rows → wire models for following, notifications and the home page."""

from __future__ import annotations

from datetime import datetime

from backend.storage.db import Row, parse_iso
from wire.social import Follower, Notification
from wire.users import UserCard


def card(row: Row) -> UserCard:
    return UserCard(id=row["id"], username=row["username"], display_name=row["displayName"])


def follower(row: Row) -> Follower:
    return Follower(
        id=row["id"],
        username=row["username"],
        display_name=row["displayName"],
        followed_at=parse_iso(row["followedAt"]),
    )


def notification(row: Row) -> Notification:
    """A notification row joined with its streamer (``actorUsername``, ``actorDisplayName``)."""
    return Notification(
        id=row["id"],
        kind=row["kind"],
        stream=row["stream"],
        streamer=UserCard(
            id=row["actorId"],
            username=row["actorUsername"],
            display_name=row["actorDisplayName"],
        ),
        title=row["title"],
        created_at=parse_iso(row["createdAt"]),
        read=row["readAt"] is not None,
    )


def optional_time(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None
