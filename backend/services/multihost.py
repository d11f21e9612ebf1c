"""Co-host sessions: up to nine hosts, roles, invitations and requests, a shared layout.

The primary host (the creator) and the hosts they made managers (``canManage``) invite,
approve, remove and change the layout; every host changes their own settings. The layout
is one piece of state every client renders; it is re-normalised whenever the hosts change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.events import EventSink
from backend.services.records import announce, fetch, require_user, user_cards
from backend.services.scheduler import Scheduler
from backend.storage.db import Database, Row, iso, now_iso, parse_iso, utc_now
from wire.events import MultiHost, multihost_room, user_room
from wire.stage_layout import wire_tiles

SESSION_TYPES = ("collaboration", "interview", "panel", "gaming", "podcast", "workshop")
LAYOUT_MODES = ("grid", "spotlight", "sidebar", "pip")
GRID_SIZES = {"2x2": 4, "3x3": 9}
MAX_HOSTS = 9
MESH_MAX_HOSTS = 4
OPEN_STATUSES = ("scheduled", "live")
INVITE_DEADLINE = "multihost:invite-expire"
GONE_DEADLINE = "multihost:host-gone"
SETTING_FIELDS = ("audioEnabled", "videoEnabled", "screenSharing", "volume", "streamId")
PIP_SIZE, PIP_MARGIN, PIP_ROWS = 0.22, 0.02, 4


def topology(host_count: int) -> str:
    """Direct peer connections for a few hosts, the SFU above that."""
    return "mesh" if host_count <= MESH_MAX_HOSTS else "sfu"


def default_overlay(user_id: str, slot: int) -> dict[str, Any]:
    """PiP tiles stack down the right edge in columns of four."""
    column, row = divmod(slot, PIP_ROWS)
    return {
        "userId": user_id,
        "x": round(1 - PIP_MARGIN - PIP_SIZE - column * (PIP_SIZE + PIP_MARGIN), 4),
        "y": round(PIP_MARGIN + row * (PIP_SIZE + PIP_MARGIN / 2), 4),
        "width": PIP_SIZE,
        "height": PIP_SIZE,
    }


def normalize_layout(layout: dict[str, Any], hosts: list[str], primary: str) -> dict[str, Any]:
    """Fit a layout to the current hosts: every host tiled once, a main host where needed."""
    order = [h for h in layout.get("order", []) if h in hosts]
    order += [h for h in hosts if h not in order]
    mode = layout["mode"]
    main: str | None = None
    grid: str | None = None
    overlays: list[dict[str, Any]] = []
    if mode == "grid":
        grid = layout.get("grid") or ("2x2" if len(order) <= GRID_SIZES["2x2"] else "3x3")
        if len(order) > GRID_SIZES[grid]:
            grid = "3x3"
    elif order:
        wanted = layout.get("mainHostId")
        main = wanted if wanted in order else (primary if primary in order else order[0])
        order = [main, *(h for h in order if h != main)]
    if mode == "pip":
        given = {o["userId"]: o for o in layout.get("overlays", [])}
        overlays = [given.get(h) or default_overlay(h, i) for i, h in enumerate(order[1:])]
    return {**layout, "grid": grid, "mainHostId": main, "order": order, "overlays": overlays}


def on_stage(layout: dict[str, Any]) -> dict[str, Any]:
    """The layout with every host's tile on the stage, so every client draws the same."""
    return {**layout, "tiles": wire_tiles(layout)}


class MultiHostService:
    def __init__(
        self,
        db: Database,
        events: EventSink,
        scheduler: Scheduler,
        invite_ttl_seconds: int,
        grace_seconds: float,
    ) -> None:
        self.db = db
        self.events = events
        self.scheduler = scheduler
        self.invite_ttl = timedelta(seconds=invite_ttl_seconds)
        self.grace = timedelta(seconds=grace_seconds)
        scheduler.on(INVITE_DEADLINE, self.expire_invitation)
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
    ) -> dict[str, Any]:
        if session_type not in SESSION_TYPES:
            raise InvalidInput(
                f"type must be one of {', '.join(SESSION_TYPES)}.", code="invalid_type"
            )
        if not 2 <= max_hosts <= MAX_HOSTS:
            raise InvalidInput(f"maxHosts must be 2–{MAX_HOSTS}.", code="invalid_max_hosts")
        if not title.strip():
            raise InvalidInput("Give the session a title.", code="invalid_title")
        _check_mode(layout, grid)
        with self.db.transaction():
            self._ensure_free(user_id)
            state = {
                "mode": layout,
                "grid": grid,
                "version": 1,
                "changedBy": user_id,
                "changedAt": now_iso(),
            }
            row = self.db.insert(
                "multihost_sessions",
                {
                    "primaryHostId": user_id,
                    "title": title.strip(),
                    "description": description.strip(),
                    "type": session_type,
                    "status": "scheduled",
                    "maxHosts": max_hosts,
                    "layout": json.dumps(normalize_layout(state, [user_id], user_id)),
                },
            )
            self._seat(row["id"], user_id, "primary", can_manage=True)
            return self._present(self._session(row["id"]), user_id)

    def start(self, session_id: str, user_id: str) -> dict[str, Any]:
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_primary(session, user_id, "start")
            if session["status"] != "scheduled":
                raise Conflict(
                    f"This session is already {session['status']}.", code="not_scheduled"
                )
            self.db.update(
                "multihost_sessions", session_id, {"status": "live", "startedAt": now_iso()}
            )
            public = self._present(self._session(session_id), "")
            self._announce(
                session_id, MultiHost.STARTED, {"sessionId": session_id, "session": public}
            )
            return self._present(self._session(session_id), user_id)

    def end(self, session_id: str, user_id: str) -> dict[str, Any]:
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_primary(session, user_id, "end")
            self._require_open(session)
            self._finish(session, "ended", user_id)
            return self._present(self._session(session_id), user_id)

    def leave(self, session_id: str, user_id: str) -> dict[str, Any]:
        """A co-host leaves; when the primary host leaves, the session ends for everyone."""
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_open(session)
            if self._host(session_id, user_id) is None:
                raise Forbidden("You are not a host of this session.", code="not_host")
            self._depart(session, user_id, "left", user_id)
            return self._present(self._session(session_id), user_id)

    # ---- invitations and requests ---------------------------------------------------
    def invite(
        self, session_id: str, user_id: str, invitee: str, can_manage: bool, message: str = ""
    ) -> dict[str, Any]:
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_manager(session, user_id)
            self._require_open(session)
            if can_manage and user_id != session["primaryHostId"]:
                raise Forbidden(
                    "Only the primary host can hand out manager rights.", code="not_primary"
                )
            require_user(self.db, invitee)
            self._ensure_invitable(session, invitee)
            invitation = self._open_invitation(
                session_id, invitee, "invite", user_id, can_manage, message
            )
            payload = {
                "sessionId": session_id,
                "invitation": invitation,
                "session": self._summary(session),
            }
            announce(
                self.db,
                self.events,
                (multihost_room(session_id), user_room(invitee)),
                MultiHost.INVITED,
                payload,
            )
            return invitation

    def accept(self, session_id: str, user_id: str) -> dict[str, Any]:
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_open(session)
            invitation = self._pending(session_id, user_id, "invite")
            self._admit(session, user_id, bool(invitation["canManage"]))
            self._answer(invitation, "accepted", user_id)
            return self._present(self._session(session_id), user_id)

    def request(self, session_id: str, user_id: str, message: str = "") -> dict[str, Any]:
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_open(session)
            seat = self.db.one(
                "SELECT status FROM multihost_hosts WHERE sessionId = ? AND userId = ?",
                (session_id, user_id),
            )
            if seat is not None and seat["status"] == "removed":
                raise Forbidden(
                    "You were removed from this session; the hosts can invite you back.",
                    code="removed",
                )
            self._ensure_invitable(session, user_id)
            invitation = self._open_invitation(session_id, user_id, "request", None, False, message)
            managers = [user_room(h) for h in self._host_ids(session_id, managers_only=True)]
            announce(
                self.db,
                self.events,
                managers,
                MultiHost.JOIN_REQUESTED,
                {"sessionId": session_id, "request": invitation},
            )
            return invitation

    def approve(
        self, session_id: str, user_id: str, requester: str, approve: bool = True
    ) -> dict[str, Any]:
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_manager(session, user_id)
            self._require_open(session)
            request = self._pending(session_id, requester, "request")
            if not approve:
                answered = self._answer(request, "declined", user_id)
                announce(
                    self.db,
                    self.events,
                    (user_room(requester),),
                    MultiHost.REQUEST_DECLINED,
                    {"sessionId": session_id, "request": answered},
                )
                return self._present(self._session(session_id), user_id)
            self._admit(session, requester, False)
            self._answer(request, "approved", user_id)
            return self._present(self._session(session_id), user_id)

    def expire_invitation(self, invitation_id: str) -> None:
        """An unanswered invitation or request lapses; both sides hear so (their prompts close)."""
        with self.db.transaction():
            row = self.db.one(
                "SELECT * FROM multihost_invites WHERE id = ? AND status = 'pending'",
                (invitation_id,),
            )
            if row is None:
                return
            self.db.execute(
                "UPDATE multihost_invites SET status = 'expired', updatedAt = ? WHERE id = ?",
                (now_iso(), invitation_id),
            )
            session_id = row["sessionId"]
            askers = [row["invitedBy"]] if row["kind"] == "invite" and row["invitedBy"] else []
            answerers = self._host_ids(session_id, managers_only=True)
            rooms = [user_room(u) for u in (row["userId"], *askers, *answerers)]
            expired = self._present_invitation({**row, "status": "expired"})
            announce(
                self.db,
                self.events,
                rooms,
                MultiHost.INVITATION_EXPIRED,
                {"sessionId": session_id, "invitation": expired},
            )

    # ---- hosts ----------------------------------------------------------------------
    def remove_host(self, session_id: str, user_id: str, target: str) -> dict[str, Any]:
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_manager(session, user_id)
            self._require_open(session)
            if target == user_id:
                raise InvalidInput("To step out yourself, leave the session.", code="self_remove")
            seat = self._host(session_id, target)
            if seat is None:
                raise NotFound("That user is not a host of this session.", code="host_not_found")
            if seat["role"] == "primary" or (
                seat["canManage"] and user_id != session["primaryHostId"]
            ):
                raise Forbidden(
                    "Only the primary host can remove a manager, and nobody removes the primary.",
                    code="cannot_remove",
                )
            self._depart(session, target, "removed", user_id)
            return self._present(self._session(session_id), user_id)

    def update_settings(
        self, session_id: str, user_id: str, changes: dict[str, Any], target: str | None = None
    ) -> dict[str, Any]:
        """A host's own settings; managers may also mute another host, never unmute them."""
        target = target or user_id
        if not changes:
            raise InvalidInput("Nothing to change.", code="no_changes")
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_open(session)
            seat = self._host(session_id, target)
            if self._host(session_id, user_id) is None:
                raise Forbidden("Only the session's hosts can change settings.", code="not_host")
            if seat is None:
                raise NotFound("That user is not a host of this session.", code="host_not_found")
            self._check_settings_rights(session, user_id, target, changes)
            self.db.update("multihost_hosts", seat["id"], _setting_columns(changes))
            host = self._present_host(self._seat_row(session_id, target))
            self._announce(
                session_id,
                MultiHost.SETTINGS,
                {"sessionId": session_id, "userId": target, "by": user_id, "host": host},
            )
            return host

    def change_layout(
        self, session_id: str, user_id: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        with self.db.transaction():
            session = self._visible(session_id, user_id)
            self._require_manager(session, user_id)
            self._require_open(session)
            current = json.loads(session["layout"])
            hosts = self._host_ids(session_id)
            wanted = _validated_layout(current, request, hosts)
            return on_stage(self._relayout(session, wanted, user_id, force=True))

    # ---- connection tracking ----------------------------------------------------------
    def host_disconnected(self, session_id: str, user_id: str) -> None:
        """The host's last connection left the room: they count as left after the grace period."""
        if self._host(session_id, user_id) is None:
            return
        self.scheduler.schedule(GONE_DEADLINE, f"{session_id}:{user_id}", utc_now() + self.grace)

    def host_reconnected(self, session_id: str, user_id: str) -> None:
        self.scheduler.cancel(GONE_DEADLINE, f"{session_id}:{user_id}")

    def host_gone(self, ref: str) -> None:
        session_id, _, user_id = ref.partition(":")
        with self.db.transaction():
            session = self.db.one("SELECT * FROM multihost_sessions WHERE id = ?", (session_id,))
            if session is None or session["status"] not in OPEN_STATUSES:
                return
            if self._host(session_id, user_id) is not None:
                self._depart(session, user_id, "disconnected", None)

    # ---- reads ----------------------------------------------------------------------
    def get(self, session_id: str, viewer_id: str) -> dict[str, Any]:
        return self._present(self._visible(session_id, viewer_id), viewer_id)

    def can_watch(self, session_id: str, viewer_id: str) -> bool:
        try:
            self._visible(session_id, viewer_id)
        except NotFound:
            return False
        return True

    def active(self, viewer_id: str, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT * FROM multihost_sessions WHERE status = 'live'"
            " ORDER BY startedAt DESC LIMIT ?",
            (limit,),
        )
        return [self._present(row, viewer_id) for row in rows]

    def for_user(self, user_id: str, viewer_id: str, limit: int = 50) -> list[dict[str, Any]]:
        require_user(self.db, user_id)
        hide_scheduled = "" if user_id == viewer_id else "AND s.status != 'scheduled'"
        rows = self.db.all(
            "SELECT s.* FROM multihost_sessions s JOIN multihost_hosts h ON h.sessionId = s.id"
            f" WHERE h.userId = ? {hide_scheduled} ORDER BY s.createdAt DESC LIMIT ?",
            (user_id, limit),
        )
        return [self._present(row, viewer_id) for row in rows]

    # ---- rules ----------------------------------------------------------------------
    def _session(self, session_id: str) -> Row:
        return fetch(
            self.db, "multihost_sessions", session_id, "Session not found.", "session_not_found"
        )

    def _visible(self, session_id: str, viewer_id: str) -> Row:
        """A scheduled session is private to its hosts and invitees; the rest is public."""
        session = self._session(session_id)
        if session["status"] == "scheduled" and not self._involved(session_id, viewer_id):
            raise NotFound("Session not found.", code="session_not_found")
        return session

    def _involved(self, session_id: str, user_id: str) -> bool:
        return (
            self.db.one(
                "SELECT 1 FROM multihost_hosts WHERE sessionId = :s AND userId = :u"
                " UNION SELECT 1 FROM multihost_invites WHERE sessionId = :s AND userId = :u"
                " AND status = 'pending'",
                {"s": session_id, "u": user_id},
            )
            is not None
        )

    def _require_open(self, session: Row) -> None:
        if session["status"] not in OPEN_STATUSES:
            raise Conflict("This session has ended.", code="session_ended")

    def _require_primary(self, session: Row, user_id: str, action: str) -> None:
        if session["primaryHostId"] != user_id:
            raise Forbidden(f"Only the primary host can {action} the session.", code="not_primary")

    def _require_manager(self, session: Row, user_id: str) -> None:
        seat = self._host(session["id"], user_id)
        if seat is None:
            raise Forbidden("Only the session's hosts can do this.", code="not_host")
        if not seat["canManage"]:
            raise Forbidden(
                "Only the primary host or a host they made a manager can do this.",
                code="not_manager",
            )

    def _check_settings_rights(
        self, session: Row, user_id: str, target: str, changes: dict[str, Any]
    ) -> None:
        if "canManage" in changes and user_id != session["primaryHostId"]:
            raise Forbidden("Only the primary host can grant manager rights.", code="not_primary")
        if "canManage" in changes and target == session["primaryHostId"]:
            raise InvalidInput("The primary host always manages the session.", code="primary_role")
        if target == user_id:
            return
        self._require_manager(session, user_id)
        muting_only = all(
            key in ("audioEnabled", "videoEnabled") and value is False
            for key, value in changes.items()
            if key != "canManage"
        )
        if not muting_only:
            raise Forbidden(
                "You can only turn another host's audio or video off;"
                " the rest is theirs to change.",
                code="own_settings_only",
            )

    def _ensure_free(self, user_id: str, besides: str = "") -> None:
        """One open session per host at a time."""
        busy = self.db.one(
            "SELECT s.id FROM multihost_hosts h JOIN multihost_sessions s ON s.id = h.sessionId"
            " WHERE h.userId = ? AND h.status = 'active' AND s.id != ?"
            " AND s.status IN ('scheduled', 'live') LIMIT 1",
            (user_id, besides),
        )
        if busy is not None:
            raise Conflict("That user is already hosting another session.", code="host_busy")

    def _ensure_invitable(self, session: Row, user_id: str) -> None:
        if self._host(session["id"], user_id) is not None:
            raise Conflict("That user is already a host here.", code="already_host")
        self._ensure_room(session)

    def _ensure_room(self, session: Row) -> None:
        if len(self._host_ids(session["id"])) >= session["maxHosts"]:
            raise Conflict(
                f"This session is full: it already has {session['maxHosts']} hosts, the most it"
                " can hold. Someone has to leave before anyone else can join.",
                code="session_full",
            )

    # ---- state changes --------------------------------------------------------------
    def _open_invitation(
        self,
        session_id: str,
        user_id: str,
        kind: str,
        invited_by: str | None,
        can_manage: bool,
        message: str,
    ) -> dict[str, Any]:
        existing = self.db.one(
            "SELECT * FROM multihost_invites WHERE sessionId = ? AND userId = ?"
            " AND status = 'pending'",
            (session_id, user_id),
        )
        if existing is not None:
            raise Conflict(
                f"There is already a pending {existing['kind']} for this user.", code="pending"
            )
        expires = utc_now() + self.invite_ttl
        row = self.db.insert(
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
        return self._present_invitation(row)

    def _pending(self, session_id: str, user_id: str, kind: str) -> Row:
        row = self.db.one(
            "SELECT * FROM multihost_invites WHERE sessionId = ? AND userId = ? AND kind = ?"
            " AND status = 'pending'",
            (session_id, user_id, kind),
        )
        what = "invitation" if kind == "invite" else "request to join"
        if row is None or parse_iso(row["expiresAt"]) <= utc_now():
            raise Conflict(f"There is no open {what} for this user.", code=f"no_{kind}")
        return row

    def _answer(self, invitation: Row, status: str, by: str) -> dict[str, Any]:
        self.db.update("multihost_invites", invitation["id"], {"status": status, "answeredBy": by})
        self.scheduler.cancel(INVITE_DEADLINE, invitation["id"])
        return self._present_invitation({**invitation, "status": status, "answeredBy": by})

    def _admit(self, session: Row, user_id: str, can_manage: bool) -> None:
        self._ensure_free(user_id, besides=session["id"])
        self._ensure_room(session)
        self._seat(session["id"], user_id, "cohost", can_manage)
        host = self._present_host(self._seat_row(session["id"], user_id))
        count = len(self._host_ids(session["id"]))
        self._announce(
            session["id"],
            MultiHost.JOINED,
            {
                "sessionId": session["id"],
                "host": host,
                "hostCount": count,
                "topology": topology(count),
            },
        )
        self._relayout(session, json.loads(session["layout"]), user_id)

    def _seat(self, session_id: str, user_id: str, role: str, can_manage: bool) -> None:
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
        seat = self.db.one(
            "SELECT id FROM multihost_hosts WHERE sessionId = ? AND userId = ?",
            (session_id, user_id),
        )
        if seat is None:
            self.db.insert("multihost_hosts", {"sessionId": session_id, "userId": user_id, **fresh})
        else:
            self.db.update("multihost_hosts", seat["id"], fresh)

    def _depart(self, session: Row, user_id: str, reason: str, by: str | None) -> None:
        """Take a host off the session; the primary host leaving ends it."""
        session_id = session["id"]
        self.scheduler.cancel(GONE_DEADLINE, f"{session_id}:{user_id}")
        if user_id == session["primaryHostId"]:
            self._finish(session, f"primary-{reason}", by)
            return
        status = "removed" if reason == "removed" else "left"
        seat = self._seat_row(session_id, user_id)
        self.db.update(
            "multihost_hosts",
            seat["id"],
            {"status": status, "leftAt": now_iso(), "leaveReason": reason},
        )
        count = len(self._host_ids(session_id))
        self._announce(
            session_id,
            MultiHost.LEFT,
            {
                "sessionId": session_id,
                "userId": user_id,
                "reason": reason,
                "by": by,
                "hostCount": count,
                "topology": topology(count),
            },
            also=(user_id,),
        )
        self._relayout(session, json.loads(session["layout"]), by or user_id)

    def _finish(self, session: Row, reason: str, by: str | None) -> None:
        session_id = session["id"]
        hosts = self._host_ids(session_id)
        stamp = now_iso()
        self.db.update(
            "multihost_sessions",
            session_id,
            {"status": "ended", "endedAt": stamp, "endReason": reason},
        )
        self.db.execute(
            "UPDATE multihost_hosts SET status = 'left', leftAt = ?, leaveReason = 'session-ended',"
            " updatedAt = ? WHERE sessionId = ? AND status = 'active'",
            (stamp, stamp, session_id),
        )
        for pending in self.db.all(
            "SELECT * FROM multihost_invites WHERE sessionId = ? AND status = 'pending'",
            (session_id,),
        ):
            self._answer(pending, "cancelled", by or session["primaryHostId"])
        for host in hosts:
            self.scheduler.cancel(GONE_DEADLINE, f"{session_id}:{host}")
        self._announce(
            session_id,
            MultiHost.ENDED,
            {
                "sessionId": session_id,
                "reason": reason,
                "by": by,
                "session": self._present(self._session(session_id), ""),
            },
            also=hosts,
        )

    def _relayout(
        self, session: Row, wanted: dict[str, Any], by: str, force: bool = False
    ) -> dict[str, Any]:
        """Store the layout fitted to the current hosts; broadcast it if anything changed."""
        current = json.loads(self._session(session["id"])["layout"])
        hosts = self._host_ids(session["id"])
        fitted = normalize_layout(wanted, hosts, session["primaryHostId"])
        if not force and _shape(fitted) == _shape(current):
            return current
        fitted.update(version=current["version"] + 1, changedBy=by, changedAt=now_iso())
        self.db.update("multihost_sessions", session["id"], {"layout": json.dumps(fitted)})
        self._announce(
            session["id"],
            MultiHost.LAYOUT_CHANGED,
            {
                "sessionId": session["id"],
                "layout": on_stage(fitted),
                "topology": topology(len(hosts)),
            },
        )
        return fitted

    # ---- presentation ---------------------------------------------------------------
    def _host(self, session_id: str, user_id: str) -> Row | None:
        return self.db.one(
            "SELECT * FROM multihost_hosts WHERE sessionId = ? AND userId = ?"
            " AND status = 'active'",
            (session_id, user_id),
        )

    def _seat_row(self, session_id: str, user_id: str) -> Row:
        row = self.db.one(
            "SELECT * FROM multihost_hosts WHERE sessionId = ? AND userId = ?",
            (session_id, user_id),
        )
        assert row is not None
        return row

    def _host_ids(self, session_id: str, managers_only: bool = False) -> list[str]:
        managers = "AND canManage = 1" if managers_only else ""
        rows = self.db.all(
            "SELECT userId FROM multihost_hosts WHERE sessionId = ? AND status = 'active'"
            f" {managers} ORDER BY joinedAt, rowid",
            (session_id,),
        )
        return [row["userId"] for row in rows]

    def _announce(
        self, session_id: str, event: str, data: dict[str, Any], also: Iterable[str] = ()
    ) -> None:
        hosts = [*self._host_ids(session_id), *also]
        rooms = [multihost_room(session_id), *(user_room(h) for h in hosts)]
        announce(self.db, self.events, rooms, event, data)

    def _present_host(self, seat: Row) -> dict[str, Any]:
        card = user_cards(self.db, [seat["userId"]]).get(seat["userId"], {})
        return {
            "userId": seat["userId"],
            "username": card.get("username"),
            "displayName": card.get("displayName"),
            "role": seat["role"],
            "canManage": bool(seat["canManage"]),
            "audioEnabled": bool(seat["audioEnabled"]),
            "videoEnabled": bool(seat["videoEnabled"]),
            "screenSharing": bool(seat["screenSharing"]),
            "volume": seat["volume"],
            "streamId": seat["streamId"],
            "joinedAt": seat["joinedAt"],
        }

    def _present_invitation(self, row: Row) -> dict[str, Any]:
        return {
            "id": row["id"],
            "sessionId": row["sessionId"],
            "user": user_cards(self.db, [row["userId"]]).get(row["userId"]),
            "kind": row["kind"],
            "status": row["status"],
            "invitedBy": row["invitedBy"],
            "canManage": bool(row["canManage"]),
            "message": row["message"],
            "expiresAt": row["expiresAt"],
            "createdAt": row["createdAt"],
        }

    def _summary(self, session: Row) -> dict[str, Any]:
        primary = session["primaryHostId"]
        return {
            "id": session["id"],
            "title": session["title"],
            "type": session["type"],
            "status": session["status"],
            "primaryHost": user_cards(self.db, [primary]).get(primary),
        }

    def _present(self, session: Row, viewer_id: str) -> dict[str, Any]:
        seats = self.db.all(
            "SELECT * FROM multihost_hosts WHERE sessionId = ? AND status = 'active'"
            " ORDER BY joinedAt, rowid",
            (session["id"],),
        )
        hosts = [self._present_host(seat) for seat in seats]
        manager = any(h["userId"] == viewer_id and h["canManage"] for h in hosts)
        return {
            **self._summary(session),
            "description": session["description"],
            "hosts": hosts,
            "hostCount": len(hosts),
            "maxHosts": session["maxHosts"],
            "topology": topology(len(hosts)),
            "layout": on_stage(json.loads(session["layout"])),
            "pending": self._pending_list(session["id"]) if manager else None,
            "startedAt": session["startedAt"],
            "endedAt": session["endedAt"],
            "endReason": session["endReason"],
            "createdAt": session["createdAt"],
            "updatedAt": session["updatedAt"],
            "serverTime": now_iso(),
        }

    def _pending_list(self, session_id: str) -> dict[str, list[dict[str, Any]]]:
        rows = self.db.all(
            "SELECT * FROM multihost_invites WHERE sessionId = ? AND status = 'pending'"
            " AND expiresAt > ? ORDER BY createdAt",
            (session_id, now_iso()),
        )
        items = [self._present_invitation(row) for row in rows]
        return {
            "invitations": [i for i in items if i["kind"] == "invite"],
            "requests": [i for i in items if i["kind"] == "request"],
        }


def _check_mode(mode: str, grid: str | None) -> None:
    if mode not in LAYOUT_MODES:
        raise InvalidInput(
            f"layout must be one of {', '.join(LAYOUT_MODES)}.", code="invalid_layout"
        )
    if grid is not None and (mode != "grid" or grid not in GRID_SIZES):
        raise InvalidInput(
            "grid is '2x2' or '3x3', and only for the grid layout.", code="invalid_grid"
        )


def _validated_layout(
    current: dict[str, Any], request: dict[str, Any], hosts: list[str]
) -> dict[str, Any]:
    """The requested layout (omitted fields keep their current value), checked against hosts."""
    mode = request.get("mode") or current["mode"]
    grid = request.get("grid", current["grid"] if mode == current["mode"] else None)
    _check_mode(mode, grid)
    if grid is not None and len(hosts) > GRID_SIZES[grid]:
        raise InvalidInput(
            f"A {grid} grid holds {GRID_SIZES[grid]} hosts; this session has {len(hosts)}.",
            code="grid_too_small",
        )
    main = request.get("mainHostId")
    if main is not None and (mode == "grid" or main not in hosts):
        raise InvalidInput(
            "mainHostId must be one of the hosts, and the grid layout has none.",
            code="invalid_main_host",
        )
    order = request.get("order")
    if order is not None and sorted(order) != sorted(hosts):
        raise InvalidInput("order must list every host exactly once.", code="invalid_order")
    overlays = request.get("overlays")
    if overlays is not None:
        _check_overlays(overlays, mode, hosts)
    wanted = {**current, "mode": mode, "grid": grid}
    wanted["mainHostId"] = main or current.get("mainHostId")
    wanted["order"] = order or current["order"]
    wanted["overlays"] = overlays if overlays is not None else current["overlays"]
    return wanted


def _check_overlays(overlays: list[dict[str, Any]], mode: str, hosts: list[str]) -> None:
    users = [o["userId"] for o in overlays]
    if mode != "pip" or len(set(users)) != len(users) or not set(users) <= set(hosts):
        raise InvalidInput(
            "overlays are for the pip layout: one per host at most, hosts only.",
            code="invalid_overlays",
        )
    if any(o["x"] + o["width"] > 1 or o["y"] + o["height"] > 1 for o in overlays):
        raise InvalidInput(
            "Each overlay must fit on screen: x + width and y + height at most 1.",
            code="invalid_overlays",
        )


def _shape(layout: dict[str, Any]) -> tuple[Any, ...]:
    return (
        layout["mode"],
        layout["grid"],
        layout["mainHostId"],
        tuple(layout["order"]),
        json.dumps(layout["overlays"], sort_keys=True),
    )


def _setting_columns(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        key: int(value) if isinstance(value, bool) else value
        for key, value in changes.items()
        if key in (*SETTING_FIELDS, "canManage")
    }
