"""A stream's public state in one read: who streams it and what is on (battle, co-hosts, shop).

A stream is named after its streamer (``username`` or ``username~label``). The viewer page
reads this on load, after every reconnect and now and then (to notice a battle or session that
started); live changes arrive as events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from backend.errors import NotFound
from backend.services.container import Services
from backend.storage.db import Row, iso, now_iso, utc_now

# An ended battle stays in the snapshot this long, so a viewer arriving late sees the result.
RECENT_RESULT = timedelta(seconds=60)
MAX_STREAM_NAME = 64

LiveCheck = Callable[[str], bool]


def owner_of(stream: str) -> str:
    """A stream is named after its owner: ``username`` or ``username~label``."""
    return stream.split("~", 1)[0]


def canonical_name(stream: str, username: str) -> str:
    """The stream's name with its owner spelled as registered (``ALICE~x`` → ``alice~x``)."""
    _, tilde, label = stream.partition("~")
    return f"{username}{tilde}{label}"


def resolve_streamer(services: Services, stream: str) -> Row:
    if not stream or len(stream) > MAX_STREAM_NAME:
        raise NotFound("There is no such stream.", code="stream_not_found")
    row = services.db.one(
        "SELECT id, username, displayName FROM users WHERE username = ? COLLATE NOCASE",
        (owner_of(stream),),
    )
    if row is None:
        raise NotFound(f"There is no stream called '{stream}'.", code="stream_not_found")
    return row


def _streamer_battle(services: Services, user_id: str, viewer_id: str) -> dict[str, Any] | None:
    row = services.db.one(
        "SELECT id FROM pk_battles WHERE (host1Id = :u OR host2Id = :u) AND (status = 'active'"
        " OR (status = 'ended' AND endedAt >= :recent))"
        " ORDER BY status = 'active' DESC, COALESCE(endedAt, startedAt) DESC LIMIT 1",
        {"u": user_id, "recent": iso(utc_now() - RECENT_RESULT)},
    )
    if row is None:
        return None
    battle = services.pk.get(row["id"], viewer_id)
    return {**battle, "topSupporters": services.pk.top_supporters(row["id"])}


def _streamer_cohosting(services: Services, user_id: str, viewer_id: str) -> dict[str, Any] | None:
    """The live co-host session the streamer is a host of, with its hosts and layout."""
    row = services.db.one(
        "SELECT s.id FROM multihost_sessions s JOIN multihost_hosts h ON h.sessionId = s.id"
        " WHERE h.userId = ? AND h.status = 'active' AND s.status = 'live'"
        " ORDER BY s.startedAt DESC LIMIT 1",
        (user_id,),
    )
    return services.multihost.get(row["id"], viewer_id) if row else None


def _streamer_shop(services: Services, user_id: str, viewer_id: str) -> dict[str, Any] | None:
    """The streamer's live shopping session, with its pinned product and flash-sale state."""
    row = services.db.one(
        "SELECT id FROM shopping_sessions WHERE sellerId = ? AND status = 'live'"
        " ORDER BY startedAt DESC LIMIT 1",
        (user_id,),
    )
    return services.shopping.get(row["id"], viewer_id) if row else None


def snapshot(
    services: Services,
    stream: str,
    viewer_id: str,
    viewers: int,
    is_live: LiveCheck | None = None,
    whep_url: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """``whep_url`` names where the stream plays (the backend's WHEP template filled in)."""
    streamer = resolve_streamer(services, stream)
    user_id = streamer["id"]
    name = canonical_name(stream, streamer["username"])
    return {
        "stream": name,
        "streamer": streamer,
        "live": bool(is_live(name)) if is_live else None,
        "whepUrl": whep_url(name) if whep_url else f"/whep/{quote(name, safe='')}",
        "viewerCount": viewers,
        "battle": _streamer_battle(services, user_id, viewer_id),
        "multihost": _streamer_cohosting(services, user_id, viewer_id),
        "shopping": _streamer_shop(services, user_id, viewer_id),
        "serverTime": now_iso(),
    }
