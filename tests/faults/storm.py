"""A storm of idempotent requests from many clients, cut short by a SIGKILL of the backend."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Attempt:
    token: str
    path: str
    body: dict[str, Any]
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: int | None = None  # None: no answer (the backend died first)
    data: Any = None

    @property
    def applied(self) -> bool:
        return self.status is not None and self.status < 300

    async def send(self, http: httpx.AsyncClient) -> None:
        response = await http.post(
            self.path,
            json=self.body,
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": self.key},
        )
        self.status = response.status_code
        self.data = response.json().get("data")


async def storm(
    url: str, lanes: list[list[Attempt]], kill_after: int, kill: Callable[[], None]
) -> None:
    """Each lane sends its attempts in order; after ``kill_after`` answers the backend dies."""
    answered = 0
    killed = asyncio.Event()

    async def lane(attempts: list[Attempt], http: httpx.AsyncClient) -> None:
        nonlocal answered
        for attempt in attempts:
            if killed.is_set():
                return
            try:
                await attempt.send(http)
            except httpx.TransportError:
                return
            answered += 1
            if answered >= kill_after and not killed.is_set():
                killed.set()
                kill()

    limits = httpx.Limits(max_connections=len(lanes))
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        await asyncio.gather(*(lane(attempts, http) for attempts in lanes))
    assert killed.is_set(), "the storm ended before the kill"


async def retry_unanswered(url: str, attempts: list[Attempt]) -> None:
    """Clients retry what got no answer, with the same Idempotency-Key."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for attempt in attempts:
            if attempt.status is None:
                await attempt.send(http)
