"""ASGI middleware: request body size limit, per-user / per-IP rate limiting."""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.client_address import ClientAddress
from backend.services.auth import AuthService
from backend.settings import Settings


async def _send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    body = json.dumps({"success": False, "error": {"code": code, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(HTTPException):
    """An HTTPException so FastAPI's body parsing passes it on instead of answering 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"Request body is over {max_bytes} bytes.")


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of the (lower-case) header ``name``."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _declared_length(scope: Scope) -> int | None:
    """The body's length as its Content-Length frames it, or None when it is not framed so
    (chunked, or no usable Content-Length): then it is counted as it arrives."""
    declared = None
    for key, value in scope["headers"]:
        if key == b"transfer-encoding":
            return None
        if key == b"content-length" and declared is None and value.isdigit():
            declared = int(value)
    return declared


class BodySizeLimit:
    """413 for a request body over ``max_bytes``: at once when its Content-Length says so; a
    body without one (chunked) is counted as it arrives."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._reject(send)
            return
        if declared is not None:  # the server hands the app exactly that many bytes
            await self.app(scope, receive, send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        await _send_error(
            send, 413, "payload_too_large", f"Request body is over {self.max_bytes} bytes."
        )


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class TokenBuckets:
    """Token buckets by key, at most ``max_keys`` of them: past that the least recently seen
    key is forgotten (a flood of new keys costs its own senders, not the clients seen now)."""

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: str) -> bool:
        return key in self._buckets

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token: 0 if there was one, else the seconds until there is."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


@dataclass(frozen=True)
class RateLimits:
    """What ``RateLimit`` allows: per user (or guest token), per client address, and how many
    guest tokens a client address may mint."""

    per_user: TokenBuckets
    per_address: TokenBuckets
    guest_minting: TokenBuckets

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        guests_per_second = settings.guest_tokens_per_minute / 60
        return cls(
            TokenBuckets(settings.rate_per_second, settings.rate_burst),
            TokenBuckets(settings.ip_rate_per_second, settings.ip_rate_burst),
            TokenBuckets(guests_per_second, max(1.0, settings.guest_tokens_per_minute)),
        )


GUEST_MINT = ("POST", "/api/auth/guest")


class RateLimit:
    """429 with Retry-After when a client address, or the user behind a valid bearer token, is
    over its budget; and when an address mints guest tokens faster than allowed."""

    def __init__(
        self, app: ASGIApp, auth: AuthService, limits: RateLimits, addresses: ClientAddress
    ) -> None:
        self.app = app
        self.auth = auth
        self.limits = limits
        self.addresses = addresses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(("/api/", "/whip", "/whep")):
            await self.app(scope, receive, send)
            return
        wait = self._wait(scope)
        if wait > 0:
            retry = str(max(1, math.ceil(wait)))
            await _send_error(
                send,
                429,
                "rate_limited",
                f"Too many requests; retry in {retry} s.",
                ((b"retry-after", retry.encode()),),
            )
            return
        await self.app(scope, receive, send)

    def _wait(self, scope: Scope) -> float:
        address = self.addresses.of(scope)
        wait = self.limits.per_address.take(address)
        user = self._user(scope)
        if user is not None:
            wait = max(wait, self.limits.per_user.take(user))
        if (scope["method"], scope["path"]) == GUEST_MINT:
            wait = max(wait, self.limits.guest_minting.take(address))
        return wait

    def _user(self, scope: Scope) -> str | None:
        authorization = (header(scope, b"authorization") or b"").decode("latin-1")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token:
            try:
                return str(self.auth.decode(token.strip())["sub"])
            except Exception:
                return None
        return None
