"""A stream's public state in one read: who streams it and what is on (battle, co-hosts, shop).

A stream is named after its streamer (``username`` or ``username~label``). The viewer page
reads this on load, after every reconnect and now and then (to notice a battle or session that
started); live changes arrive as events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote

from backend.services.container import Services
from backend.services.stream_names import canonical_name as canonical_name
from backend.services.stream_names import find_streamer
from backend.storage.db import Row, iso, utc_now
from wire.multihost import CohostSession
from wire.pk import BattleStanding
from wire.shopping import ShopSession
from wire.streams import StreamSnapshot
from wire.users import UserCard

# An ended battle stays in the snapshot this long, so a viewer arriving late sees the result.
RECENT_RESULT = timedelta(seconds=60)

LiveCheck = Callable[[str], bool]


def resolve_streamer(services: Services, stream: str) -> Row:
    return find_streamer(services.db, stream)


def _streamer_battle(services: Services, user_id: str, viewer_id: str) -> BattleStanding | None:
    row = services.db.one(
        "SELECT id FROM pk_battles WHERE (host1Id = :u OR host2Id = :u) AND (status = 'active'"
        " OR (status = 'ended' AND endedAt >= :recent))"
        " ORDER BY status = 'active' DESC, COALESCE(endedAt, startedAt) DESC LIMIT 1",
        {"u": user_id, "recent": iso(utc_now() - RECENT_RESULT)},
    )
    if row is None:
        return None
    return services.pk.standing(row["id"], viewer_id)


def _streamer_cohosting(services: Services, user_id: str, viewer_id: str) -> CohostSession | None:
    """The live co-host session the streamer is a host of, with its hosts and layout."""
    row = services.db.one(
        "SELECT s.id FROM multihost_sessions s JOIN multihost_hosts h ON h.sessionId = s.id"
        " WHERE h.userId = ? AND h.status = 'active' AND s.status = 'live'"
        " ORDER BY s.startedAt DESC LIMIT 1",
        (user_id,),
    )
    return services.multihost.sessions.get(row["id"], viewer_id) if row else None


def _streamer_shop(services: Services, user_id: str, viewer_id: str) -> ShopSession | None:
    """The streamer's live shopping session, with its pinned product and flash-sale state."""
    row = services.db.one(
        "SELECT id FROM shopping_sessions WHERE sellerId = ? AND status = 'live'"
        " ORDER BY startedAt DESC LIMIT 1",
        (user_id,),
    )
    return services.shopping.sessions.get(row["id"], viewer_id) if row else None


def snapshot(
    services: Services,
    stream: str,
    viewer_id: str,
    viewers: int,
    is_live: LiveCheck | None = None,
    whep_url: Callable[[str], str] | None = None,
) -> StreamSnapshot:
    """``whep_url`` names where the stream plays (the backend's WHEP template filled in)."""
    streamer = resolve_streamer(services, stream)
    user_id = streamer["id"]
    name = canonical_name(stream, streamer["username"])
    details = services.social.lives.details(name)
    return StreamSnapshot(
        stream=name,
        streamer=UserCard.model_validate(streamer),
        live=bool(is_live(name)) if is_live else None,
        whep_url=whep_url(name) if whep_url else f"/whep/{quote(name, safe='')}",
        viewer_count=viewers,
        title=details.title,
        category=details.category,
        followers=services.social.follows.follower_count(user_id),
        following=services.social.follows.is_following(viewer_id, user_id),
        likes=services.social.likes.total(name),
        battle=_streamer_battle(services, user_id, viewer_id),
        multihost=_streamer_cohosting(services, user_id, viewer_id),
        shopping=_streamer_shop(services, user_id, viewer_id),
        server_time=utc_now(),
    )
