"""Who may join which room: each feature's rule, registered on the hub by prefix."""

from __future__ import annotations

from backend.contract import battle_room
from backend.identity import AuthUser
from backend.realtime.hub import Connection, Hub
from backend.services.container import Services


def register_room_rules(hub: Hub, services: Services) -> None:
    def may_watch_battle(user: AuthUser, battle_id: str) -> bool:
        return services.pk.can_watch(battle_id, user.id)

    hub.authorize_rooms(battle_room(""), may_watch_battle)

    def note_battle_viewer(conn: Connection, room: str) -> None:
        prefix = battle_room("")
        if room.startswith(prefix) and not conn.user.is_guest:
            services.pk.note_viewer(room[len(prefix) :], conn.user.id)

    hub.join_listeners.append(note_battle_viewer)
