"""uvicorn's websockets-sansio protocol, letting the hub write a prebuilt frame directly.

A broadcast to a thousand viewers would otherwise cost each viewer a task switch, a trip
through Starlette's and uvicorn's ASGI send and its own framing of the same text. Here the hub
builds the frame once and writes it to every socket that keeps up; a socket that is behind
(its transport paused writing) or closing is refused, and the hub queues for it as before.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Mapping
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.http11 import Request

# The ASGI scope extension under which a connection offers ``write_frame(frame) -> bool``.
DIRECT_FRAMES = "onair.direct_frames"
FrameWriter = Callable[[bytes], bool]


class SharedFrameProtocol(WebSocketsSansIOProtocol):
    """Never negotiates permessage-deflate: compression is per connection, so a compressed
    broadcast could not share one frame (and the events are a few hundred bytes of JSON)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if config.ws_per_message_deflate:
            config = copy.copy(config)
            config.ws_per_message_deflate = False
        super().__init__(config, server_state, app_state, _loop)

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101:
            extensions: dict[str, Any] = self.scope["extensions"]
            extensions[DIRECT_FRAMES] = self.write_frame

    def write_frame(self, frame: bytes) -> bool:
        """Write a complete frame now unless the socket is behind or the session is over."""
        if (
            not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or not self.writable.is_set()
        ):
            return False
        self.transport.write(frame)
        return True


def frame_writer(scope: Mapping[str, Any]) -> FrameWriter | None:
    """The connection's direct frame writer, if the server offers one."""
    writer: FrameWriter | None = scope.get("extensions", {}).get(DIRECT_FRAMES)
    return writer
