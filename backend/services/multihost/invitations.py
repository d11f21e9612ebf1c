"""Invitations (the hosts ask a user) and requests to join (a user asks the hosts).

Both are one row kind apart, both lapse after the invitation time-to-live (a deadline the
scheduler keeps across restarts), and both sides hear when one lapses.
"""

from __future__ import annotations

from datetime import timedelta

from backend.errors import Conflict, Forbidden
from backend.services.multihost import rules
from backend.services.multihost.presenters import Presenter
from backend.services.multihost.seats import Seats
from backend.services.multihost.store import SessionStore
from backend.services.records import require_user
from backend.services.scheduler import Scheduler
from backend.storage.db import Row, iso, now_iso, parse_iso, utc_now
from wire.events import MultiHost, multihost_room, user_room
from wire.multihost import (
    CohostSession,
    Invitation,
    InvitationExpired,
    InvitationKind,
    InvitationStatus,
    Invited,
    JoinRequested,
    RequestDeclined,
)

INVITE_DEADLINE = "multihost:invite-expire"


class Invitations:
    def __init__(
        self,
        store: SessionStore,
        present: Presenter,
        seats: Seats,
        scheduler: Scheduler,
        ttl: timedelta,
    ) -> None:
        self.store = store
        self.present = present
        self.seats = seats
        self.scheduler = scheduler
        self.ttl = ttl
        scheduler.on(INVITE_DEADLINE, self.expire)

    # ---- the hosts invite -------------------------------------------------------------
    def invite(
        self, session_id: str, user_id: str, invitee: str, can_manage: bool, message: str = ""
    ) -> Invitation:
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_manager(self.store, session, user_id)
            rules.require_open(session)
            if can_manage and user_id != session["primaryHostId"]:
                raise Forbidden(
                    "Only the primary host can hand out manager rights.", code="not_primary"
                )
            require_user(self.store.db, invitee)
            rules.ensure_invitable(self.store, session, invitee)
            invitation = self._open(session_id, invitee, "invite", user_id, can_manage, message)
            invited = Invited(
                session_id=session_id, invitation=invitation, session=self.present.summary(session)
            )
            rooms = (multihost_room(session_id), user_room(invitee))
            self.store.tell(rooms, MultiHost.INVITED, invited)
            return invitation

    def accept(self, session_id: str, user_id: str) -> CohostSession:
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_open(session)
            invitation = self._pending(session_id, user_id, "invite")
            self.seats.admit(session, user_id, bool(invitation["canManage"]))
            self._answer(invitation, "accepted", user_id)
            return self.present.session(self.store.session(session_id), user_id)

    # ---- a user asks ------------------------------------------------------------------
    def request(self, session_id: str, user_id: str, message: str = "") -> Invitation:
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_open(session)
            rules.ensure_not_removed(self.store, session, user_id)
            rules.ensure_invitable(self.store, session, user_id)
            request = self._open(session_id, user_id, "request", None, False, message)
            managers = self.store.host_ids(session_id, managers_only=True)
            asked = JoinRequested(session_id=session_id, request=request)
            self.store.tell(map(user_room, managers), MultiHost.JOIN_REQUESTED, asked)
            return request

    def approve(
        self, session_id: str, user_id: str, requester: str, approve: bool = True
    ) -> CohostSession:
        """A manager lets the requester in, or declines (the requester hears so)."""
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_manager(self.store, session, user_id)
            rules.require_open(session)
            request = self._pending(session_id, requester, "request")
            if approve:
                self.seats.admit(session, requester, False)
                self._answer(request, "approved", user_id)
            else:
                declined = RequestDeclined(
                    session_id=session_id, request=self._answer(request, "declined", user_id)
                )
                self.store.tell([user_room(requester)], MultiHost.REQUEST_DECLINED, declined)
            return self.present.session(self.store.session(session_id), user_id)

    # ---- lapsing and closing ----------------------------------------------------------
    def expire(self, invitation_id: str) -> None:
        """An unanswered invitation or request lapses; both sides hear so (their prompts close)."""
        db = self.store.db
        with db.transaction():
            row = db.one(
                "SELECT * FROM multihost_invites WHERE id = ? AND status = 'pending'",
                (invitation_id,),
            )
            if row is None:
                return
            db.execute(
                "UPDATE multihost_invites SET status = 'expired', updatedAt = ? WHERE id = ?",
                (now_iso(), invitation_id),
            )
            session_id = row["sessionId"]
            askers = [row["invitedBy"]] if row["kind"] == "invite" and row["invitedBy"] else []
            answerers = self.store.host_ids(session_id, managers_only=True)
            expired = InvitationExpired(
                session_id=session_id,
                invitation=self.present.invitation({**row, "status": "expired"}),
            )
            users = (row["userId"], *askers, *answerers)
            self.store.tell(map(user_room, users), MultiHost.INVITATION_EXPIRED, expired)

    def cancel_all(self, session_id: str, by: str) -> None:
        """The session ended: its open invitations and requests with it."""
        for pending in self.store.pending_invitations(session_id):
            self._answer(pending, "cancelled", by)

    def _open(
        self,
        session_id: str,
        user_id: str,
        kind: InvitationKind,
        invited_by: str | None,
        can_manage: bool,
        message: str,
    ) -> Invitation:
        db = self.store.db
        existing = db.one(
            "SELECT * FROM multihost_invites WHERE sessionId = ? AND userId = ?"
            " AND status = 'pending'",
            (session_id, user_id),
        )
        if existing is not None:
            raise Conflict(
                f"There is already a pending {existing['kind']} for this user.", code="pending"
            )
        expires = utc_now() + self.ttl
        row = db.insert(
            "multihost_invites",
            {
                "sessionId": session_id,
                "userId": user_id,
                "kind": kind,
                "status": "pending",
                "invitedBy": invited_by,
                "canManage": int(can_manage),
                "message": message.strip(),
                "expiresAt": iso(expires),
            },
        )
        self.scheduler.schedule(INVITE_DEADLINE, row["id"], expires)
        return self.present.invitation(row)

    def _pending(self, session_id: str, user_id: str, kind: InvitationKind) -> Row:
        row = self.store.db.one(
            "SELECT * FROM multihost_invites WHERE sessionId = ? AND userId = ? AND kind = ?"
            " AND status = 'pending'",
            (session_id, user_id, kind),
        )
        what = "invitation" if kind == "invite" else "request to join"
        if row is None or parse_iso(row["expiresAt"]) <= utc_now():
            raise Conflict(f"There is no open {what} for this user.", code=f"no_{kind}")
        return row

    def _answer(self, invitation: Row, status: InvitationStatus, by: str) -> Invitation:
        self.store.db.update(
            "multihost_invites", invitation["id"], {"status": status, "answeredBy": by}
        )
        self.scheduler.cancel(INVITE_DEADLINE, invitation["id"])
        return self.present.invitation({**invitation, "status": status})
