"""ASGI middleware: request body size limit, per-user / per-IP rate limiting, lean routes."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.deps import any_viewer, signed_in
from backend.api.responses import domain_failure, validation_failure
from backend.errors import DomainError
from backend.identity import AuthUser
from backend.services.auth import AuthService
from backend.services.container import Services


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


LeanHandler = Callable[["LeanRequest"], Awaitable[dict[str, Any]]]
BodyModel = TypeVar("BodyModel", bound=BaseModel)


@dataclass(frozen=True)
class LeanRoute:
    """A hot JSON endpoint answered by ``LeanRoutes``; ``path`` is a FastAPI path template."""

    method: str
    path: str
    handler: LeanHandler

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        parts = re.split(r"\{(\w+)\}", self.path)  # literal, name, literal, name, ...
        return re.compile(
            "".join(
                re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
                for index, part in enumerate(parts)
            )
        )


@dataclass
class LeanRequest:
    """What a lean handler gets: the same inputs FastAPI would inject, resolved on demand."""

    scope: Scope
    services: Services
    params: dict[str, str]
    body: bytes

    def header(self, name: bytes) -> str | None:
        for key, value in self.scope["headers"]:
            if key == name:
                return str(value.decode("latin-1"))
        return None

    async def signed_in(self) -> AuthUser:
        return await signed_in(await any_viewer(self.services, self.header(b"authorization")))

    def json(self, model: type[BodyModel]) -> BodyModel:
        content_type = self.header(b"content-type")
        if content_type is not None and "json" not in content_type.lower():
            raise RequestValidationError(
                [{"loc": ("body",), "msg": "Send the body as JSON.", "type": "json_type"}]
            )
        return model.model_validate_json(self.body)


class LeanRoutes:
    """Answers a few hot JSON endpoints without FastAPI's route table and dependency solving
    (about half of a small request's CPU with ~90 routes). The FastAPI route of the same path
    stays the declared contract (OpenAPI, parameters); its lean twin passes the endpoint
    function the same arguments, so the rules live in one place. Sits inside the body-size
    and rate limits; errors get the same envelopes as everywhere else."""

    def __init__(self, app: ASGIApp, services: Services, routes: Sequence[LeanRoute]) -> None:
        self.app = app
        self.services = services
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.routes:
                match = route.pattern.fullmatch(scope["path"])
                if match is not None and scope["method"] == route.method:
                    await self._answer(route, match.groupdict(), scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _answer(
        self, route: LeanRoute, params: dict[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        response: Response
        try:
            data = await route.handler(LeanRequest(scope, self.services, params, body))
            response = JSONResponse(data)
        except DomainError as exc:
            response = domain_failure(exc)
        except (ValidationError, RequestValidationError) as exc:
            response = validation_failure(exc.errors())
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
