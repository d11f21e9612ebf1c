"""ASGI middleware: request body size limit and per-user / per-IP rate limiting."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.services.auth import AuthService


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


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
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


class RateLimit:
    """Token buckets keyed by user (from a valid bearer token) or else by client IP."""

    MAX_KEYS = 100_000

    def __init__(self, app: ASGIApp, auth: AuthService, rate: float, burst: int) -> None:
        self.app = app
        self.auth = auth
        self.rate = rate
        self.burst = burst
        self.buckets: dict[str, _Bucket] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(("/api/", "/whip", "/whep")):
            await self.app(scope, receive, send)
            return
        wait = self._take(self._key(scope))
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

    def _key(self, scope: Scope) -> str:
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token:
            try:
                return "user:" + str(self.auth.decode(token.strip())["sub"])
            except Exception:
                pass
        client = scope.get("client")
        return "ip:" + (client[0] if client else "unknown")

    def _take(self, key: str) -> float:
        now = time.monotonic()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.MAX_KEYS:
                self.buckets.clear()
            bucket = self.buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate
