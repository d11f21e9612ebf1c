"""The rows of co-host sessions: sessions, their seats (hosts), and who hears what."""

from __future__ import annotations

import json
from collections.abc import Iterable

from backend.errors import NotFound
from backend.events import EventSink
from backend.services.multihost.layout_rules import StoredLayout
from backend.services.records import announce, fetch
from backend.storage.db import Database, Row
from wire.base import WireModel
from wire.events import multihost_room, user_room


class SessionStore:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    def session(self, session_id: str) -> Row:
        return fetch(
            self.db, "multihost_sessions", session_id, "Session not found.", "session_not_found"
        )

    def visible(self, session_id: str, viewer_id: str) -> Row:
        """A scheduled session is private to its hosts and invitees; the rest is public."""
        session = self.session(session_id)
        if session["status"] == "scheduled" and not self.involved(session_id, viewer_id):
            raise NotFound("Session not found.", code="session_not_found")
        return session

    def involved(self, session_id: str, user_id: str) -> bool:
        """A host (now or before) or an invitee with an open invitation."""
        return (
            self.db.one(
                "SELECT 1 FROM multihost_hosts WHERE sessionId = :s AND userId = :u"
                " UNION SELECT 1 FROM multihost_invites WHERE sessionId = :s AND userId = :u"
                " AND status = 'pending'",
                {"s": session_id, "u": user_id},
            )
            is not None
        )

    @staticmethod
    def layout(session: Row) -> StoredLayout:
        """The stored layout (mode, grid, order, overlays, version, ...)."""
        stored: StoredLayout = json.loads(session["layout"])
        return stored

    def host(self, session_id: str, user_id: str) -> Row | None:
        """The user's seat while they are a host of the session."""
        return self.db.one(
            "SELECT * FROM multihost_hosts WHERE sessionId = ? AND userId = ?"
            " AND status = 'active'",
            (session_id, user_id),
        )

    def seat(self, session_id: str, user_id: str) -> Row:
        """The user's seat, whether they are still a host or not (it must exist)."""
        row = self.db.one(
            "SELECT * FROM multihost_hosts WHERE sessionId = ? AND userId = ?",
            (session_id, user_id),
        )
        assert row is not None
        return row

    def seats(self, session_id: str) -> list[Row]:
        """The current hosts' seats, in the order they joined."""
        return self.db.all(
            "SELECT * FROM multihost_hosts WHERE sessionId = ? AND status = 'active'"
            " ORDER BY joinedAt, rowid",
            (session_id,),
        )

    def host_ids(self, session_id: str, managers_only: bool = False) -> list[str]:
        managers = "AND canManage = 1" if managers_only else ""
        rows = self.db.all(
            "SELECT userId FROM multihost_hosts WHERE sessionId = ? AND status = 'active'"
            f" {managers} ORDER BY joinedAt, rowid",
            (session_id,),
        )
        return [row["userId"] for row in rows]

    def pending_invitations(self, session_id: str, open_at: str | None = None) -> list[Row]:
        """Unanswered invitations and requests, oldest first; with ``open_at``, only those not
        lapsed by then (a lapsed one stays pending until its deadline runs)."""
        lapsed = "" if open_at is None else "AND expiresAt > :now"
        return self.db.all(
            "SELECT * FROM multihost_invites WHERE sessionId = :session AND status = 'pending'"
            f" {lapsed} ORDER BY createdAt",
            {"session": session_id, "now": open_at},
        )

    def announce(
        self, session_id: str, event: str, data: WireModel, also: Iterable[str] = ()
    ) -> None:
        """To the session's room and every host (and ``also`` these users), after commit."""
        hosts = [*self.host_ids(session_id), *also]
        rooms = [multihost_room(session_id), *(user_room(h) for h in hosts)]
        announce(self.db, self.events, rooms, event, data)

    def tell(self, rooms: Iterable[str], event: str, data: WireModel) -> None:
        """To the members of these rooms only (each once), after commit."""
        announce(self.db, self.events, rooms, event, data)
