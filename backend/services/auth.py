"""Accounts and tokens: argon2 password hashes, short-lived HS256 JWTs, anonymous viewers."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Collection
from typing import NotRequired, TypedDict, cast

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.errors import Conflict, InvalidInput, NotFound, Unauthorized
from backend.identity import AuthUser
from backend.storage.db import Database, Row

ALGORITHM = "HS256"
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
TOKEN_CACHE_SIZE = 10_000


class PublicUser(TypedDict):
    """What anyone may see of an account (its wire form: camelCase)."""

    id: str
    username: str
    displayName: str
    createdAt: str


class Claims(TypedDict):
    """A verified access token's claims (``sub``, ``role``, ``iat`` and ``exp`` are required
    when decoding; ``issue_token`` writes them all)."""

    sub: str
    role: str
    iat: int
    exp: int
    name: NotRequired[str]
    jti: NotRequired[str]


def public_user(row: Row) -> PublicUser:
    return {
        "id": row["id"],
        "username": row["username"],
        "displayName": row["displayName"],
        "createdAt": row["createdAt"],
    }


class AuthService:
    def __init__(self, db: Database, secret: str, ttl_seconds: int, hasher: PasswordHasher) -> None:
        self.db = db
        self.secret = secret
        self.ttl_seconds = ttl_seconds
        self.hasher = hasher
        self._verified: dict[str, Claims] = {}

    def register(self, username: str, password: str, display_name: str | None = None) -> Row:
        if not USERNAME_PATTERN.match(username):
            raise InvalidInput(
                "Username must be 3–32 characters: letters, digits, '_', '.' or '-'.",
                code="invalid_username",
            )
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidInput(
                f"Password must be {MIN_PASSWORD}–{MAX_PASSWORD} characters.",
                code="invalid_password",
            )
        with self.db.transaction():
            if self.db.one("SELECT id FROM users WHERE username = ?", (username,)):
                raise Conflict(f"Username '{username}' is taken.", code="username_taken")
            return self.db.insert(
                "users",
                {
                    "username": username,
                    "displayName": (display_name or username).strip()[:64] or username,
                    "passwordHash": self.hasher.hash(password),
                },
            )

    def authenticate(self, username: str, password: str) -> Row:
        row = self.db.one("SELECT * FROM users WHERE username = ?", (username,))
        if row is None:
            raise Unauthorized("Wrong username or password.", code="bad_credentials")
        try:
            self.hasher.verify(row["passwordHash"], password)
        except (VerificationError, InvalidHashError):
            raise Unauthorized("Wrong username or password.", code="bad_credentials") from None
        return row

    def issue_token(self, user_id: str, username: str, role: str = "user") -> str:
        now = int(time.time())
        claims: Claims = {
            "sub": user_id,
            "name": username,
            "role": role,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(dict(claims), self.secret, algorithm=ALGORITHM)

    def guest_token(self) -> tuple[str, AuthUser]:
        guest = AuthUser(id=f"guest-{uuid.uuid4().hex[:12]}", username="guest", role="guest")
        return self.issue_token(guest.id, guest.username, role="guest"), guest

    def decode(self, token: str) -> Claims:
        """Verified claims; a token seen before is not re-verified until it expires."""
        cached = self._verified.get(token)
        if cached is not None and cached["exp"] > time.time():
            return cached
        claims = self._decode(token)
        if len(self._verified) >= TOKEN_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = claims
        return claims

    def _decode(self, token: str) -> Claims:
        try:
            # PyJWT returns a plain dict; "require" below guarantees Claims' required keys.
            return cast(
                Claims,
                jwt.decode(
                    token,
                    self.secret,
                    algorithms=[ALGORITHM],
                    options={"require": ["exp", "iat", "sub", "role"]},
                ),
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized(
                "Your session expired; sign in again.", code="token_expired"
            ) from None
        except jwt.PyJWTError:
            raise Unauthorized("Invalid token.", code="invalid_token") from None

    def verify(self, token: str) -> AuthUser:
        claims = self.decode(token)
        role = claims["role"]
        if role == "guest":
            return AuthUser(id=str(claims["sub"]), username="guest", role="guest")
        return self.account(str(claims["sub"]))

    def account(self, user_id: str) -> AuthUser:
        """The signed-in principal for an account id, as it is now (role included)."""
        row = self.db.one("SELECT id, username, role FROM users WHERE id = ?", (user_id,))
        if row is None:
            raise Unauthorized("This account no longer exists.", code="unknown_user")
        return AuthUser(id=row["id"], username=row["username"], role=row["role"])

    def get_user(self, user_id: str) -> Row:
        row = self.db.one("SELECT * FROM users WHERE id = ?", (user_id,))
        if row is None:
            raise NotFound("User not found.", code="user_not_found")
        return row

    def search_users(
        self, query: str, searcher: str = "", first: Collection[str] = (), limit: int = 20
    ) -> list[PublicUser]:
        """Users other than ``searcher`` whose name contains ``query``: those in ``first`` (who
        is live) ahead of the rest, each group by username, so the limit cuts the rest first."""
        pattern = "%" + query.replace("%", "").replace("_", r"\_") + "%"
        rows = self.db.all(
            "SELECT * FROM users WHERE (username LIKE :p ESCAPE '\\' OR displayName LIKE :p"
            " ESCAPE '\\') AND id != :me"
            " ORDER BY id IN (SELECT value FROM json_each(:first)) DESC, username LIMIT :limit",
            {"p": pattern, "me": searcher, "first": json.dumps(list(first)), "limit": limit},
        )
        return [public_user(row) for row in rows]

    def delete_user(self, user_id: str) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM users WHERE id = ?", (user_id,))
