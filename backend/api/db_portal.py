"""On PostgreSQL every HTTP request runs in a database portal (backend/storage/portal.py): its
statements wait for the server on a thread while the event loop serves everyone else. SQLite
(a local file) needs none. A WebSocket's messages are handled by tasks of its own (not in
this call): each message runs in a portal of its own (``Database.serve`` in backend/api/ws.py),
so an idle connection holds no greenlet."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from backend.storage.portal import run_in_portal


class DatabasePortal:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await run_in_portal(self.app(scope, receive, send))  # type: ignore[arg-type]
        else:
            await self.app(scope, receive, send)
