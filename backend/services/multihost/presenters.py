"""Rows of co-host sessions as the wire models of ``wire.multihost``."""

from __future__ import annotations

from typing import Any

from backend.services.multihost.layout_rules import StoredLayout
from backend.services.multihost.store import SessionStore
from backend.services.records import user_cards
from backend.storage.db import Row, now_iso, utc_now
from wire.multihost import (
    CohostLayout,
    CohostMember,
    CohostSession,
    Invitation,
    Pending,
    SessionSummary,
)
from wire.stage_layout import wire_tiles
from wire.topology import topology
from wire.users import UserCard


class Presenter:
    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def card(self, user_id: str) -> UserCard:
        return UserCard.model_validate(user_cards(self.store.db, [user_id])[user_id])

    def host(self, seat: Row) -> CohostMember:
        card = self.card(seat["userId"])
        return CohostMember(
            user_id=seat["userId"],
            username=card.username,
            display_name=card.display_name,
            role=seat["role"],
            can_manage=bool(seat["canManage"]),
            audio_enabled=bool(seat["audioEnabled"]),
            video_enabled=bool(seat["videoEnabled"]),
            screen_sharing=bool(seat["screenSharing"]),
            volume=seat["volume"],
            stream_id=seat["streamId"],
            joined_at=seat["joinedAt"],
        )

    def invitation(self, row: Row) -> Invitation:
        return Invitation(
            id=row["id"],
            session_id=row["sessionId"],
            user=self.card(row["userId"]),
            kind=row["kind"],
            status=row["status"],
            invited_by=row["invitedBy"],
            can_manage=bool(row["canManage"]),
            message=row["message"],
            expires_at=row["expiresAt"],
            created_at=row["createdAt"],
        )

    def summary(self, session: Row) -> SessionSummary:
        return SessionSummary(**self._summary_fields(session))

    @staticmethod
    def layout(stored: StoredLayout) -> CohostLayout:
        """The stored layout with every host's tile on the stage, so every client draws the
        same."""
        return CohostLayout.model_validate({**stored, "tiles": wire_tiles(stored)})

    def session(self, session: Row, viewer_id: str) -> CohostSession:
        """The whole session; its open invitations and requests only for its managers."""
        hosts = [self.host(seat) for seat in self.store.seats(session["id"])]
        manager = any(h.user_id == viewer_id and h.can_manage for h in hosts)
        return CohostSession(
            **self._summary_fields(session),
            description=session["description"],
            hosts=hosts,
            host_count=len(hosts),
            max_hosts=session["maxHosts"],
            topology=topology(len(hosts)),
            layout=self.layout(self.store.layout(session)),
            pending=self.pending(session["id"]) if manager else None,
            started_at=session["startedAt"],
            ended_at=session["endedAt"],
            end_reason=session["endReason"],
            created_at=session["createdAt"],
            updated_at=session["updatedAt"],
            server_time=utc_now(),
        )

    def pending(self, session_id: str) -> Pending:
        rows = self.store.pending_invitations(session_id, open_at=now_iso())
        items = [self.invitation(row) for row in rows]
        return Pending(
            invitations=[i for i in items if i.kind == "invite"],
            requests=[i for i in items if i.kind == "request"],
        )

    def _summary_fields(self, session: Row) -> dict[str, Any]:
        return {
            "id": session["id"],
            "title": session["title"],
            "type": session["type"],
            "status": session["status"],
            "primary_host": self.card(session["primaryHostId"]),
        }
