"""/ws: the real-time endpoint. A single-use ticket at connect (``POST /api/ws-ticket``: the
login token stays out of URLs and logs), JSON text events, size and rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from backend.api.deps import AnyViewer, ServicesDep
from backend.api.responses import ok
from backend.errors import Unauthorized
from backend.realtime.hub import (
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    CLOSE_UNSUPPORTED,
    Connection,
    Hub,
    Outgoing,
)
from backend.realtime.ws_protocol import frame_writer
from backend.services.container import Services
from backend.services.ws_tickets import TICKET_TTL_S
from wire.base import Ok
from wire.events import Hub as HubEvents
from wire.hub import Hello, HelloUser, HubError, WsTicket

log = logging.getLogger(__name__)
router = APIRouter()
CLOSE_UNAUTHORIZED = 4401
MAX_RATE_STRIKES = 20


class _WebSocketTransport:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._write_frame = frame_writer(websocket.scope)

    async def send_text(self, text: str) -> None:
        await self.websocket.send_text(text)

    def write_now(self, message: Outgoing) -> bool:
        return self._write_frame is not None and self._write_frame(message.frame)

    async def close(self, code: int) -> None:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await self.websocket.close(code)


@router.post("/api/ws-ticket", tags=["realtime"])
async def ws_ticket(viewer: AnyViewer, services: ServicesDep) -> Ok[WsTicket]:
    """A ticket to open ``/ws?ticket=...`` once, within ``expiresIn`` seconds."""
    ticket = await services.db.off_loop(lambda: services.ws_tickets.issue(viewer))
    return ok(WsTicket(ticket=ticket, expires_in=TICKET_TTL_S))


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    hub: Hub = websocket.app.state.hub
    try:
        ticket = websocket.query_params.get("ticket", "")
        user = await services.db.off_loop(lambda: services.ws_tickets.redeem(ticket))
    except Unauthorized as exc:
        await websocket.close(CLOSE_UNAUTHORIZED, reason=exc.message[:120])
        return
    await websocket.accept()
    transport = _WebSocketTransport(websocket)
    conn = hub.attach(user, transport)
    conn.start_bucket(services.settings.ws_messages_per_second * 2)
    hello = Hello(user=HelloUser(id=user.id, role=user.role), connection=conn.id)
    conn.send(HubEvents.HELLO, hello)
    writer = asyncio.create_task(conn.pump())
    reader = asyncio.create_task(_read_loop(websocket, hub, conn, services))
    try:
        await asyncio.wait({writer, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reader, writer):
            task.cancel()
        await asyncio.gather(reader, writer, return_exceptions=True)
        hub.detach(conn)
        await transport.close(conn.close_code or 1000)


async def _read_loop(websocket: WebSocket, hub: Hub, conn: Connection, services: Services) -> None:
    settings = services.settings
    strikes = 0
    while not conn.closed:
        text = await _next_text(websocket, hub, conn)
        if text is None:
            return
        if len(text.encode()) > settings.max_ws_message_bytes:
            conn.close_code = CLOSE_TOO_BIG
            return
        if not conn.allow_message(
            settings.ws_messages_per_second, settings.ws_messages_per_second * 2
        ):
            strikes += 1
            conn.send(HubEvents.ERROR, HubError(code="rate_limited", message="Slow down."))
            if strikes >= MAX_RATE_STRIKES:
                conn.close_code = CLOSE_POLICY
                return
            continue
        try:
            message = json.loads(text)
        except ValueError:
            conn.send(HubEvents.ERROR, HubError(code="bad_json", message="Messages must be JSON."))
            continue
        if not isinstance(message, dict):
            conn.send(HubEvents.ERROR, HubError(code="bad_message", message="Send a JSON object."))
            continue
        try:
            await services.db.serve(hub.handle(conn, message))  # PostgreSQL: off the loop
        except Exception:
            log.exception("ws handler failed for %s", message.get("event"))
            conn.send(HubEvents.ERROR, HubError(code="server_error", message="That failed."))


async def _next_text(websocket: WebSocket, hub: Hub, conn: Connection) -> str | None:
    """The next text message; None when the client left or sent a binary frame (closed 1003:
    the protocol is JSON text, and counted for /metrics)."""
    try:
        message = await websocket.receive()
    except (WebSocketDisconnect, RuntimeError):
        return None
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    if text is None:
        hub.binary_frames_refused += 1
        log.info("closing %s: binary frame from user %s", conn.id, conn.user.id)
        conn.close_code = CLOSE_UNSUPPORTED
    return text if isinstance(text, str) else None
