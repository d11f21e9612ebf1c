"""Single-use tickets for opening ``/ws``.

A browser cannot set headers on a WebSocket, so whatever authenticates the connection goes in
its URL, and URLs end up in access logs and proxies. A ticket is what goes there instead of
the 12-hour login token: random, valid for ``TICKET_TTL_S`` seconds, good for one connection.
Tickets live in the database (hashed) so any worker can redeem what another issued.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from backend.errors import Unauthorized
from backend.identity import AuthUser
from backend.services.auth import AuthService
from backend.storage.db import Database

TICKET_TTL_S = 30


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


class WsTicketService:
    def __init__(self, db: Database, auth: AuthService) -> None:
        self.db = db
        self.auth = auth

    def issue(self, user: AuthUser) -> str:
        ticket = secrets.token_urlsafe(32)
        now = time.time()
        with self.db.transaction():
            self.db.execute("DELETE FROM ws_tickets WHERE expiresAt < ?", (now,))
            self.db.execute(
                "INSERT INTO ws_tickets (ticketHash, userId, username, role, expiresAt)"
                " VALUES (?, ?, ?, ?, ?)",
                (_digest(ticket), user.id, user.username, user.role, now + TICKET_TTL_S),
            )
        return ticket

    def redeem(self, ticket: str) -> AuthUser:
        """Who the ticket was issued to; it cannot be used again."""
        digest = _digest(ticket)
        with self.db.transaction():
            row = self.db.one("SELECT * FROM ws_tickets WHERE ticketHash = ?", (digest,))
            if row is not None:
                self.db.execute("DELETE FROM ws_tickets WHERE ticketHash = ?", (digest,))
        if row is None or row["expiresAt"] < time.time():
            raise Unauthorized(
                "This connection ticket is unknown, used or expired; "
                "get a new one from POST /api/ws-ticket.",
                code="invalid_ticket",
            )
        if row["role"] == "guest":
            return AuthUser(id=row["userId"], username=row["username"], role="guest")
        return self.auth.account(row["userId"])  # deleted or demoted since: as it is now
