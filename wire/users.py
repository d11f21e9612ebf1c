"""How one user is named to others: the public card inside sessions, invitations and feeds."""

from __future__ import annotations

from typing import Literal

from wire.base import Timestamp, WireModel


class Named(WireModel):
    """Someone with a login and a display name (a card, a co-host, ...)."""

    username: str
    display_name: str

    @property
    def label(self) -> str:
        """What a person sees: the display name, or the login when there is none."""
        return self.display_name or self.username


class UserCard(Named):
    id: str


class Account(UserCard):
    """A signed-in user's own account: who they are and their wallet."""

    created_at: Timestamp
    coins: int
    xp: int


class Me(Account):
    """``GET /api/auth/me`` for an account."""

    role: str  # user, admin


class Guest(WireModel):
    """An anonymous viewer (a guest token): may watch, may not gift or order."""

    id: str
    username: str
    role: Literal["guest"]


class AccountSession(WireModel):
    """``POST /api/auth/register`` and ``/login``: the account and its bearer token."""

    user: Account
    token: str


class GuestSession(WireModel):
    """``POST /api/auth/guest``: a viewer token for someone without an account."""

    user: Guest
    token: str


class FoundUser(UserCard):
    """A user search result: ``live`` is whether they publish a stream now (null when this
    backend cannot tell), ``online`` whether they are connected to the event link."""

    created_at: Timestamp
    live: bool | None
    online: bool
