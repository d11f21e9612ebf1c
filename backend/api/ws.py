"""/ws: the real-time endpoint. Token at connect, JSON events, size and rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from backend.errors import Unauthorized
from backend.realtime.hub import CLOSE_POLICY, CLOSE_TOO_BIG, Connection, Hub, Outgoing
from backend.realtime.ws_protocol import frame_writer
from backend.services.container import Services
from wire.events import Hub as HubEvents

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


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    hub: Hub = websocket.app.state.hub
    token = websocket.query_params.get("token", "")
    try:
        user = services.auth.verify(token)
    except Unauthorized as exc:
        await websocket.close(CLOSE_UNAUTHORIZED, reason=exc.message[:120])
        return
    await websocket.accept()
    transport = _WebSocketTransport(websocket)
    conn = hub.attach(user, transport)
    conn.start_bucket(services.settings.ws_messages_per_second * 2)
    conn.send(HubEvents.HELLO, {"user": {"id": user.id, "role": user.role}, "connection": conn.id})
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
        try:
            text = await websocket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            return
        if len(text.encode()) > settings.max_ws_message_bytes:
            conn.close_code = CLOSE_TOO_BIG
            return
        if not conn.allow_message(
            settings.ws_messages_per_second, settings.ws_messages_per_second * 2
        ):
            strikes += 1
            conn.send(HubEvents.ERROR, {"code": "rate_limited", "message": "Slow down."})
            if strikes >= MAX_RATE_STRIKES:
                conn.close_code = CLOSE_POLICY
                return
            continue
        try:
            message = json.loads(text)
        except ValueError:
            conn.send(HubEvents.ERROR, {"code": "bad_json", "message": "Messages must be JSON."})
            continue
        if not isinstance(message, dict):
            conn.send(HubEvents.ERROR, {"code": "bad_message", "message": "Send a JSON object."})
            continue
        try:
            await hub.handle(conn, message)
        except Exception:
            log.exception("ws handler failed for %s", message.get("event"))
            conn.send(HubEvents.ERROR, {"code": "server_error", "message": "That failed."})
