"""Who may do what in a co-host session, and how many hosts fit: checks that raise."""

from __future__ import annotations

from typing import Any, get_args

from backend.errors import Conflict, Forbidden, InvalidInput
from backend.services.multihost.store import SessionStore
from backend.storage.db import Row
from wire.multihost import OPEN_STATUSES, SessionType
from wire.topology import MAX_HOSTS

SESSION_TYPES: tuple[str, ...] = get_args(SessionType)
MUTABLE_SETTINGS = ("audioEnabled", "videoEnabled", "screenSharing", "volume", "streamId")


def check_new_session(title: str, session_type: str, max_hosts: int) -> None:
    if session_type not in SESSION_TYPES:
        raise InvalidInput(f"type must be one of {', '.join(SESSION_TYPES)}.", code="invalid_type")
    if not 2 <= max_hosts <= MAX_HOSTS:
        raise InvalidInput(f"maxHosts must be 2–{MAX_HOSTS}.", code="invalid_max_hosts")
    if not title.strip():
        raise InvalidInput("Give the session a title.", code="invalid_title")


def require_open(session: Row) -> None:
    if session["status"] not in OPEN_STATUSES:
        raise Conflict("This session has ended.", code="session_ended")


def require_primary(session: Row, user_id: str, action: str) -> None:
    if session["primaryHostId"] != user_id:
        raise Forbidden(f"Only the primary host can {action} the session.", code="not_primary")


def require_host(store: SessionStore, session: Row, user_id: str, doing: str) -> Row:
    seat = store.host(session["id"], user_id)
    if seat is None:
        raise Forbidden(f"Only the session's hosts can {doing}.", code="not_host")
    return seat


def require_manager(store: SessionStore, session: Row, user_id: str) -> None:
    if not require_host(store, session, user_id, "do this")["canManage"]:
        raise Forbidden(
            "Only the primary host or a host they made a manager can do this.",
            code="not_manager",
        )


def check_settings_rights(
    store: SessionStore, session: Row, user_id: str, target: str, changes: dict[str, Any]
) -> None:
    """Every host changes their own settings; managers may only turn another host off."""
    if "canManage" in changes and user_id != session["primaryHostId"]:
        raise Forbidden("Only the primary host can grant manager rights.", code="not_primary")
    if "canManage" in changes and target == session["primaryHostId"]:
        raise InvalidInput("The primary host always manages the session.", code="primary_role")
    if target == user_id:
        return
    require_manager(store, session, user_id)
    muting_only = all(
        key in ("audioEnabled", "videoEnabled") and value is False
        for key, value in changes.items()
        if key != "canManage"
    )
    if not muting_only:
        raise Forbidden(
            "You can only turn another host's audio or video off; the rest is theirs to change.",
            code="own_settings_only",
        )


def ensure_free(store: SessionStore, user_id: str, besides: str = "") -> None:
    """One open session per host at a time."""
    busy = store.db.one(
        "SELECT s.id FROM multihost_hosts h JOIN multihost_sessions s ON s.id = h.sessionId"
        " WHERE h.userId = ? AND h.status = 'active' AND s.id != ?"
        " AND s.status IN ('scheduled', 'live') LIMIT 1",
        (user_id, besides),
    )
    if busy is not None:
        raise Conflict("That user is already hosting another session.", code="host_busy")


def ensure_room(store: SessionStore, session: Row) -> None:
    if len(store.host_ids(session["id"])) >= session["maxHosts"]:
        raise Conflict(
            f"This session is full: it already has {session['maxHosts']} hosts, the most it"
            " can hold. Someone has to leave before anyone else can join.",
            code="session_full",
        )


def ensure_invitable(store: SessionStore, session: Row, user_id: str) -> None:
    if store.host(session["id"], user_id) is not None:
        raise Conflict("That user is already a host here.", code="already_host")
    ensure_room(store, session)


def ensure_not_removed(store: SessionStore, session: Row, user_id: str) -> None:
    """A removed host comes back only when the hosts invite them."""
    seat = store.db.one(
        "SELECT status FROM multihost_hosts WHERE sessionId = ? AND userId = ?",
        (session["id"], user_id),
    )
    if seat is not None and seat["status"] == "removed":
        raise Forbidden(
            "You were removed from this session; the hosts can invite you back.",
            code="removed",
        )
