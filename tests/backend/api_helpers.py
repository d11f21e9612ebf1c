"""Test-side clients: a signed-in user over httpx and a WebSocket listener that collects events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from bench._ws import ticketed
from tests.wire.contract import contract_problem
from wire.base import WireModel


@dataclass
class ApiUser:
    client: httpx.AsyncClient
    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def data(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        assert response.status_code < 300, response.text
        body = response.json()
        assert body["success"] is True
        return body["data"]


async def register(client: httpx.AsyncClient, name: str | None = None, coins: int = 0) -> ApiUser:
    username = name or f"u{uuid.uuid4().hex[:10]}"
    response = await client.post(
        "/api/auth/register", json={"username": username, "password": "correct horse"}
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    user = ApiUser(client, data["user"]["id"], username, data["token"])
    if coins:
        await user.data("POST", "/api/wallet/topup", json={"coins": coins})
    return user


@dataclass
class Listener:
    """A /ws connection that records every event it receives."""

    url: str
    token: str
    events: list[dict[str, Any]] = field(default_factory=list)
    contract_problems: list[str] = field(default_factory=list)
    _ws: Any = None
    _task: asyncio.Task[None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> Listener:
        self._ws = await websockets.connect(await ticketed(self.url, self.token), max_size=None)
        self._task = asyncio.create_task(self._read())
        await self.wait_for("hello")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._ws.close()
        assert not self.contract_problems, "\n".join(self.contract_problems)

    async def _read(self) -> None:
        async for raw in self._ws:
            event = json.loads(raw)
            if (problem := contract_problem(event)) is not None:
                self.contract_problems.append(problem)
            self.events.append(event)
            self._arrived.set()

    async def send(self, event: str, data: dict[str, Any] | WireModel) -> None:
        """Send ``data`` as it is (a raw client), or a model as the studio sends it."""
        raw = data.to_wire() if isinstance(data, WireModel) else data
        await self._ws.send(json.dumps({"event": event, "data": raw}))

    async def join(self, room: str) -> dict[str, Any]:
        since = len(self.events)
        await self.send("join", {"room": room})
        return await self.wait_for(
            lambda e: e["event"] in ("joined", "error") and e["data"].get("room") == room,
            since=since,
        )

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e["data"] for e in self.events if e["event"] == name]

    async def wait_for(self, match: Any, timeout: float = 10.0, since: int = 0) -> dict[str, Any]:
        """The first event (from index ``since``) that matches a name or a predicate."""
        predicate = match if callable(match) else (lambda e: e["event"] == match)
        seen = since

        async def scan() -> dict[str, Any]:
            nonlocal seen
            while True:
                for event in self.events[seen:]:
                    seen += 1
                    if predicate(event):
                        return event
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(scan(), timeout)
