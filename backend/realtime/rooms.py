"""Who may join which room: each feature's rule, registered on the hub by prefix."""

from __future__ import annotations

import asyncio

from backend.identity import AuthUser
from backend.realtime.hub import Connection, Hub
from backend.realtime.presence import Presence
from backend.services.container import Services
from wire.events import battle_room, multihost_room, shopping_room


def register_room_rules(hub: Hub, services: Services, presence: Presence) -> None:
    # Stream rooms (``stream_room``: viewer counts, ``stream-filters:applied``) are open to anyone
    # with a token, guests too, for a stream whose owner exists: that rule lives with the viewer
    # counter in ``backend/realtime/viewers.py`` (one rule per prefix; a second would replace it).
    def may_watch_battle(user: AuthUser, battle_id: str) -> bool:
        return services.pk.can_watch(battle_id, user.id)

    hub.authorize_rooms(battle_room(""), may_watch_battle)

    def note_battle_viewer(conn: Connection, room: str) -> None:
        prefix = battle_room("")
        if room.startswith(prefix) and not conn.user.is_guest:
            services.pk.note_viewer(room[len(prefix) :], conn.user.id)

    hub.join_listeners.append(note_battle_viewer)
    _register_multihost(hub, services, presence)

    def may_shop(user: AuthUser, session_id: str) -> bool:
        return services.shopping.sessions.can_watch(session_id, user.id)

    hub.authorize_rooms(shopping_room(""), may_shop)


def _register_multihost(hub: Hub, services: Services, presence: Presence) -> None:
    """Who may watch a co-host session; a host whose last connection leaves may be gone.

    "Last" counts every worker's connections, so a studio that reconnected through another
    worker before its old connection timed out is not taken for gone.
    """
    prefix = multihost_room("")
    checks: set[asyncio.Task[None]] = set()

    def may_watch(user: AuthUser, session_id: str) -> bool:
        return services.multihost.sessions.can_watch(session_id, user.id)

    def host_back(conn: Connection, room: str) -> None:
        if room.startswith(prefix) and not conn.user.is_guest:
            services.multihost.sessions.host_reconnected(room[len(prefix) :], conn.user.id)

    async def check_still_there(room: str, user_id: str) -> None:
        if not await presence.has_user(room, user_id):
            services.multihost.sessions.host_disconnected(room[len(prefix) :], user_id)

    def host_away(conn: Connection, room: str) -> None:
        if not room.startswith(prefix) or conn.user.is_guest:
            return
        task = asyncio.ensure_future(services.db.serve(check_still_there(room, conn.user.id)))
        checks.add(task)
        task.add_done_callback(checks.discard)

    hub.authorize_rooms(prefix, may_watch)
    hub.join_listeners.append(host_back)
    hub.leave_listeners.append(host_away)
