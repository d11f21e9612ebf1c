"""A session's life: created, started, ended by the primary host or left by a host, and what
happens when a host's connection goes away; plus the reads."""

from __future__ import annotations

import json
from datetime import timedelta

from backend.errors import Conflict, Forbidden, NotFound
from backend.services.multihost import rules
from backend.services.multihost.invitations import Invitations
from backend.services.multihost.layout_rules import check_mode
from backend.services.multihost.layouts import first_layout
from backend.services.multihost.presenters import Presenter
from backend.services.multihost.seats import Seats
from backend.services.multihost.store import SessionStore
from backend.services.records import require_user
from backend.services.scheduler import Scheduler
from backend.storage.db import Row, now_iso, utc_now
from wire.events import MultiHost
from wire.multihost import (
    OPEN_STATUSES,
    CohostSession,
    EndReason,
    LeaveReason,
    SessionEnded,
    SessionStarted,
)
from wire.topology import MAX_HOSTS

GONE_DEADLINE = "multihost:host-gone"


class Sessions:
    def __init__(
        self,
        store: SessionStore,
        present: Presenter,
        seats: Seats,
        invitations: Invitations,
        scheduler: Scheduler,
        grace: timedelta,
    ) -> None:
        self.store = store
        self.present = present
        self.seats = seats
        self.invitations = invitations
        self.scheduler = scheduler
        self.grace = grace
        scheduler.on(GONE_DEADLINE, self.host_gone)

    # ---- lifecycle ------------------------------------------------------------------
    def create(
        self,
        user_id: str,
        title: str,
        session_type: str,
        layout: str = "grid",
        grid: str | None = None,
        description: str = "",
        max_hosts: int = MAX_HOSTS,
    ) -> CohostSession:
        rules.check_new_session(title, session_type, max_hosts)
        check_mode(layout, grid)
        with self.store.db.transaction():
            rules.ensure_free(self.store, user_id)
            row = self.store.db.insert(
                "multihost_sessions",
                {
                    "primaryHostId": user_id,
                    "title": title.strip(),
                    "description": description.strip(),
                    "type": session_type,
                    "status": "scheduled",
                    "maxHosts": max_hosts,
                    "layout": json.dumps(first_layout(layout, grid, user_id)),
                },
            )
            self.seats.seat(row["id"], user_id, "primary", can_manage=True)
            return self.present.session(self.store.session(row["id"]), user_id)

    def start(self, session_id: str, user_id: str) -> CohostSession:
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_primary(session, user_id, "start")
            if session["status"] != "scheduled":
                raise Conflict(
                    f"This session is already {session['status']}.", code="not_scheduled"
                )
            self.store.db.update(
                "multihost_sessions", session_id, {"status": "live", "startedAt": now_iso()}
            )
            public = self.present.session(self.store.session(session_id), "")
            started = SessionStarted(session_id=session_id, session=public)
            self.store.announce(session_id, MultiHost.STARTED, started)
            return self.present.session(self.store.session(session_id), user_id)

    def end(self, session_id: str, user_id: str) -> CohostSession:
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_primary(session, user_id, "end")
            rules.require_open(session)
            self._finish(session, "ended", user_id)
            return self.present.session(self.store.session(session_id), user_id)

    def leave(self, session_id: str, user_id: str) -> CohostSession:
        """A co-host leaves; when the primary host leaves, the session ends for everyone."""
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_open(session)
            if self.store.host(session_id, user_id) is None:
                raise Forbidden("You are not a host of this session.", code="not_host")
            self._depart(session, user_id, "left", user_id)
            return self.present.session(self.store.session(session_id), user_id)

    # ---- connection tracking --------------------------------------------------------
    def host_disconnected(self, session_id: str, user_id: str) -> None:
        """The host's last connection left the room: they count as left after the grace period."""
        if self.store.host(session_id, user_id) is None:
            return
        self.scheduler.schedule(GONE_DEADLINE, f"{session_id}:{user_id}", utc_now() + self.grace)

    def host_reconnected(self, session_id: str, user_id: str) -> None:
        self.scheduler.cancel(GONE_DEADLINE, f"{session_id}:{user_id}")

    def host_gone(self, ref: str) -> None:
        session_id, _, user_id = ref.partition(":")
        db = self.store.db
        with db.transaction():
            session = db.one("SELECT * FROM multihost_sessions WHERE id = ?", (session_id,))
            if session is None or session["status"] not in OPEN_STATUSES:
                return
            if self.store.host(session_id, user_id) is not None:
                self._depart(session, user_id, "disconnected", None)

    # ---- reads ----------------------------------------------------------------------
    def get(self, session_id: str, viewer_id: str) -> CohostSession:
        return self.present.session(self.store.visible(session_id, viewer_id), viewer_id)

    def can_watch(self, session_id: str, viewer_id: str) -> bool:
        try:
            self.store.visible(session_id, viewer_id)
        except NotFound:
            return False
        return True

    def active(self, viewer_id: str, limit: int = 50) -> list[CohostSession]:
        rows = self.store.db.all(
            "SELECT * FROM multihost_sessions WHERE status = 'live'"
            " ORDER BY startedAt DESC LIMIT ?",
            (limit,),
        )
        return [self.present.session(row, viewer_id) for row in rows]

    def for_user(self, user_id: str, viewer_id: str, limit: int = 50) -> list[CohostSession]:
        """The user's sessions, newest first; their scheduled ones only to themselves."""
        require_user(self.store.db, user_id)
        hide_scheduled = "" if user_id == viewer_id else "AND s.status != 'scheduled'"
        rows = self.store.db.all(
            "SELECT s.* FROM multihost_sessions s JOIN multihost_hosts h ON h.sessionId = s.id"
            f" WHERE h.userId = ? {hide_scheduled} ORDER BY s.createdAt DESC LIMIT ?",
            (user_id, limit),
        )
        return [self.present.session(row, viewer_id) for row in rows]

    # ---- ending -----------------------------------------------------------------------
    def _depart(self, session: Row, user_id: str, reason: LeaveReason, by: str | None) -> None:
        """Take a host off the session; the primary host leaving ends it."""
        self.scheduler.cancel(GONE_DEADLINE, f"{session['id']}:{user_id}")
        if user_id == session["primaryHostId"]:  # never removed: they leave or drop out
            ending: EndReason = "primary-left" if reason == "left" else "primary-disconnected"
            self._finish(session, ending, by)
        else:
            self.seats.vacate(session, user_id, reason, by)

    def _finish(self, session: Row, reason: EndReason, by: str | None) -> None:
        session_id = session["id"]
        hosts = self.store.host_ids(session_id)
        stamp = now_iso()
        db = self.store.db
        db.update(
            "multihost_sessions",
            session_id,
            {"status": "ended", "endedAt": stamp, "endReason": reason},
        )
        db.execute(
            "UPDATE multihost_hosts SET status = 'left', leftAt = ?, leaveReason = 'session-ended',"
            " updatedAt = ? WHERE sessionId = ? AND status = 'active'",
            (stamp, stamp, session_id),
        )
        self.invitations.cancel_all(session_id, by or session["primaryHostId"])
        for host in hosts:
            self.scheduler.cancel(GONE_DEADLINE, f"{session_id}:{host}")
        ended = SessionEnded(
            session_id=session_id,
            reason=reason,
            by=by,
            session=self.present.session(self.store.session(session_id), ""),
        )
        self.store.announce(session_id, MultiHost.ENDED, ended, also=hosts)
