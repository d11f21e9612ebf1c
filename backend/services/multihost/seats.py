"""The hosts of a session: taking a seat, leaving it, being removed, their own settings."""

from __future__ import annotations

from typing import Any

from backend.errors import Forbidden, InvalidInput, NotFound
from backend.services.multihost import rules
from backend.services.multihost.layouts import Layouts
from backend.services.multihost.presenters import Presenter
from backend.services.multihost.store import SessionStore
from backend.storage.db import Row, now_iso
from wire.events import MultiHost
from wire.multihost import (
    CohostMember,
    CohostSession,
    HostJoined,
    HostLeft,
    LeaveReason,
    Role,
    SettingsChanged,
)
from wire.topology import topology

MANAGER_SETTING = "canManage"


class Seats:
    def __init__(self, store: SessionStore, present: Presenter, layouts: Layouts) -> None:
        self.store = store
        self.present = present
        self.layouts = layouts

    def seat(self, session_id: str, user_id: str, role: Role, can_manage: bool) -> None:
        """Seat the user as a host with fresh settings (again, if they were one before)."""
        fresh = {
            "role": role,
            "canManage": int(can_manage),
            "status": "active",
            "audioEnabled": 1,
            "videoEnabled": 1,
            "screenSharing": 0,
            "volume": 100,
            "streamId": None,
            "joinedAt": now_iso(),
            "leftAt": None,
            "leaveReason": None,
        }
        db = self.store.db
        seat = db.one(
            "SELECT id FROM multihost_hosts WHERE sessionId = ? AND userId = ?",
            (session_id, user_id),
        )
        if seat is None:
            db.insert("multihost_hosts", {"sessionId": session_id, "userId": user_id, **fresh})
        else:
            db.update("multihost_hosts", seat["id"], fresh)

    def admit(self, session: Row, user_id: str, can_manage: bool) -> None:
        """A co-host joins (an accepted invitation or an approved request)."""
        session_id = session["id"]
        rules.ensure_free(self.store, user_id, besides=session_id)
        rules.ensure_room(self.store, session)
        self.seat(session_id, user_id, "cohost", can_manage)
        count = len(self.store.host_ids(session_id))
        joined = HostJoined(
            session_id=session_id,
            host=self.present.host(self.store.seat(session_id, user_id)),
            host_count=count,
            topology=topology(count),
        )
        self.store.announce(session_id, MultiHost.JOINED, joined)
        self.layouts.refit_to_hosts(session, user_id)

    def vacate(self, session: Row, user_id: str, reason: LeaveReason, by: str | None) -> None:
        """A co-host (never the primary host) is no longer on the session."""
        session_id = session["id"]
        seat = self.store.seat(session_id, user_id)
        status = "removed" if reason == "removed" else "left"
        self.store.db.update(
            "multihost_hosts",
            seat["id"],
            {"status": status, "leftAt": now_iso(), "leaveReason": reason},
        )
        count = len(self.store.host_ids(session_id))
        left = HostLeft(
            session_id=session_id,
            user_id=user_id,
            reason=reason,
            by=by,
            host_count=count,
            topology=topology(count),
        )
        self.store.announce(session_id, MultiHost.LEFT, left, also=(user_id,))
        self.layouts.refit_to_hosts(session, by or user_id)

    def remove(self, session_id: str, user_id: str, target: str) -> CohostSession:
        """A manager removes a co-host; only the primary host removes a manager."""
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_manager(self.store, session, user_id)
            rules.require_open(session)
            if target == user_id:
                raise InvalidInput("To step out yourself, leave the session.", code="self_remove")
            seat = self.store.host(session_id, target)
            if seat is None:
                raise NotFound("That user is not a host of this session.", code="host_not_found")
            if seat["role"] == "primary" or (
                seat["canManage"] and user_id != session["primaryHostId"]
            ):
                raise Forbidden(
                    "Only the primary host can remove a manager, and nobody removes the primary.",
                    code="cannot_remove",
                )
            self.vacate(session, target, "removed", user_id)
            return self.present.session(self.store.session(session_id), user_id)

    def update_settings(
        self, session_id: str, user_id: str, changes: dict[str, Any], target: str | None = None
    ) -> CohostMember:
        """A host's own settings; managers may also mute another host, never unmute them."""
        target = target or user_id
        if not changes:
            raise InvalidInput("Nothing to change.", code="no_changes")
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_open(session)
            seat = self.store.host(session_id, target)
            rules.require_host(self.store, session, user_id, "change settings")
            if seat is None:
                raise NotFound("That user is not a host of this session.", code="host_not_found")
            rules.check_settings_rights(self.store, session, user_id, target, changes)
            self.store.db.update("multihost_hosts", seat["id"], _setting_columns(changes))
            host = self.present.host(self.store.seat(session_id, target))
            changed = SettingsChanged(session_id=session_id, user_id=target, by=user_id, host=host)
            self.store.announce(session_id, MultiHost.SETTINGS, changed)
            return host


def _setting_columns(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        key: int(value) if isinstance(value, bool) else value
        for key, value in changes.items()
        if key in (*rules.MUTABLE_SETTINGS, MANAGER_SETTING)
    }
