"""Who is asking: the authenticated principal every layer can name without importing HTTP."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuthUser:
    id: str
    username: str
    role: str = "user"

    @property
    def is_guest(self) -> bool:
        return self.role == "guest"
