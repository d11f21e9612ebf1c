"""The backend's real-time events over ``/ws``, kept connected.

:class:`EventClient` connects with a single-use ticket for the session token, hands every
``{"event", "data"}`` message to its subscribers, and when the connection drops it reconnects
with capped exponential backoff and joins every room it was in again. After each
(re)connection it reports ``CONNECTED`` with the connection count, so views can fetch fresh
state for what they may have missed. A rejected token (close code 4401) stops the retries:
signing in again is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from studio.core.api_client import ApiError
from studio.core.tasks import cancel_and_wait
from wire.base import WireModel
from wire.events import Hub
from wire.http import tls_context
from wire.hub import WsTicket
from wire.payloads import parse_payload
from wire.webrtc import REQUESTS, ClientMessage

log = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
JOIN_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ServerEvent:
    name: str
    data: dict[str, Any]

    def payload(self) -> WireModel:
        """The data as its contract model (raises ``UnknownEvent`` or a ValidationError)."""
        return parse_payload(self.name, self.data)


class LinkState(enum.StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    UNAUTHORIZED = "unauthorized"
    STOPPED = "stopped"


EventHandler = Callable[[ServerEvent], None]
StateHandler = Callable[[LinkState], None]


class EventClient:
    def __init__(
        self,
        ws_url: str,
        token: str,
        *,
        min_backoff: float = 0.25,
        max_backoff: float = 5.0,
        ping_interval: float = 10.0,
    ) -> None:
        self.ws_url = ws_url
        self.token = token
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.ping_interval = ping_interval
        self.state = LinkState.STOPPED
        self.connections = 0  # successful connections so far (1 = first, 2+ = reconnected)
        self._rooms: set[str] = set()
        self._handlers: list[EventHandler] = []
        self._state_handlers: list[StateHandler] = []
        self._pending: dict[str, asyncio.Future[bool]] = {}
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._wake = asyncio.Event()

    # ---- subscriptions --------------------------------------------------------------
    def subscribe(self, handler: EventHandler) -> Callable[[], None]:
        """Call ``handler`` for every server event; returns a function that unsubscribes."""
        self._handlers.append(handler)
        return lambda: self._handlers.remove(handler) if handler in self._handlers else None

    def on_state(self, handler: StateHandler) -> None:
        self._state_handlers.append(handler)

    @property
    def rooms(self) -> frozenset[str]:
        return frozenset(self._rooms)

    async def join(self, room: str) -> None:
        """Join ``room`` now and after every reconnection. Raises ApiError if it is refused."""
        self._rooms.add(room)
        if self._ws is None or self.state is not LinkState.CONNECTED:
            return  # joined on (re)connect
        try:
            joined = await self._request_join(self._ws, room)
        except (ConnectionError, ConnectionClosed, TimeoutError):
            return  # the link dropped meanwhile: joined again on reconnect
        if not joined:
            raise ApiError(403, "forbidden_room", f"You may not join '{room}'.")

    async def send(self, event: str, data: ClientMessage) -> None:
        """Send a client event (``webrtc:*`` signaling, its model as ``wire.webrtc.REQUESTS``
        declares); dropped while the link is down. Another model is refused (TypeError)."""
        if type(data) is not REQUESTS.get(event):
            raise TypeError(f"{event} is sent as {REQUESTS.get(event)}, not {type(data)}")
        if self._ws is not None and self.state is LinkState.CONNECTED:
            with contextlib.suppress(ConnectionClosed):
                await self._send(self._ws, event, data.to_wire())

    async def leave(self, room: str) -> None:
        self._rooms.discard(room)
        if self._ws is not None and self.state is LinkState.CONNECTED:
            with contextlib.suppress(ConnectionClosed):
                await self._send(self._ws, Hub.LEAVE, {"room": room})

    # ---- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="event-client")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        self._set_state(LinkState.STOPPED)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    def retry_now(self) -> None:
        """Skip the rest of the backoff wait and try to connect again."""
        self._wake.set()

    # ---- the connection loop --------------------------------------------------------
    async def _run(self) -> None:
        delay = self.min_backoff
        self._set_state(LinkState.CONNECTING)
        while True:
            try:
                url = await self._ticketed_url()
                if url is None:  # the token was refused
                    self._set_state(LinkState.UNAUTHORIZED)
                    return
                async with connect(
                    url,
                    ping_interval=self.ping_interval,
                    ping_timeout=self.ping_interval,
                    open_timeout=10,
                    max_size=2**20,
                ) as ws:
                    await self._session(ws)
                    delay = self.min_backoff
                    if ws.close_code == CLOSE_UNAUTHORIZED:
                        self._set_state(LinkState.UNAUTHORIZED)
                        return
            except asyncio.CancelledError:
                raise
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):  # the token was refused
                    self._set_state(LinkState.UNAUTHORIZED)
                    return
                log.info("event link refused: %s", exc)
            except (OSError, TimeoutError, WebSocketException, httpx.HTTPError) as exc:
                log.debug("event link down: %r", exc)
            finally:
                self._ws = None
                self._connected.clear()
                self._fail_pending()
            self._set_state(LinkState.RECONNECTING)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay * random.uniform(0.8, 1.2)):
                    await self._wake.wait()
            delay = min(self.max_backoff, delay * 2)

    async def _ticketed_url(self) -> str | None:
        """``ws_url`` with a single-use ticket (the session token stays out of URLs and server
        logs); None if the token is refused."""
        base = self.ws_url.replace("ws", "http", 1).removesuffix("/ws")
        async with httpx.AsyncClient(timeout=10, verify=tls_context()) as http:
            response = await http.post(
                f"{base}/api/ws-ticket", headers={"Authorization": f"Bearer {self.token}"}
            )
        if response.status_code in (401, 403):
            return None
        response.raise_for_status()
        ticket = WsTicket.model_validate(response.json()["data"]).ticket
        return f"{self.ws_url}?ticket={ticket}"

    async def _session(self, ws: ClientConnection) -> None:
        hello = json.loads(await ws.recv())
        if hello.get("event") != Hub.HELLO:
            raise WebSocketException(f"unexpected first message {hello.get('event')!r}")
        self._ws = ws
        reader = asyncio.create_task(self._read(ws))
        try:
            for room in sorted(self._rooms):
                await self._send(ws, Hub.JOIN, {"room": room})
            self.connections += 1
            self._connected.set()
            self._set_state(LinkState.CONNECTED)
            await reader
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await reader

    async def _read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                try:
                    message = json.loads(raw)
                    event = ServerEvent(str(message["event"]), dict(message.get("data") or {}))
                except (ValueError, KeyError, TypeError):
                    log.warning("ignoring a malformed event")
                    continue
                self._settle_join(event)
                self._dispatch(event)

    async def _request_join(self, ws: ClientConnection, room: str) -> bool:
        future = self._pending.get(room)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._pending[room] = future
        await self._send(ws, Hub.JOIN, {"room": room})
        try:
            async with asyncio.timeout(JOIN_TIMEOUT_S):
                return await asyncio.shield(future)
        finally:
            if self._pending.get(room) is future and future.done():
                del self._pending[room]

    def _settle_join(self, event: ServerEvent) -> None:
        if event.name not in (Hub.JOINED, Hub.ERROR):
            return
        room = event.data.get("room")
        if not isinstance(room, str):
            return
        if event.name == Hub.ERROR:
            self._rooms.discard(room)
        future = self._pending.get(room)
        if future is not None and not future.done():
            future.set_result(event.name == Hub.JOINED)

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the event link dropped"))
        self._pending.clear()

    @staticmethod
    async def _send(ws: ClientConnection, event: str, data: dict[str, Any]) -> None:
        await ws.send(json.dumps({"event": event, "data": data}))

    def _dispatch(self, event: ServerEvent) -> None:
        for handler in tuple(self._handlers):
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed for %s", event.name)

    def _set_state(self, state: LinkState) -> None:
        if state is self.state and state is not LinkState.CONNECTED:
            return
        self.state = state
        for handler in tuple(self._state_handlers):
            try:
                handler(state)
            except Exception:
                log.exception("link state handler failed")
