"""Raw WebSocket viewers in a process of their own, for the chat benchmark: they join a room,
say ``ready`` on stdout, and read everything the server sends until their stdin closes.

The measuring process (probes, chatters) then does not queue behind their reads; they still
read every byte, so the server's cost of writing to them is unchanged. Usage:
``python -m bench._viewers URL TOKEN ROOM COUNT``.
"""

from __future__ import annotations

import asyncio
import sys

import httpx
import uvloop

from bench._ws import joined_viewer


async def hold(url: str, token: str, room: str, count: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        viewers = [await joined_viewer(httpx.URL(url), token, room, http) for _ in range(count)]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for viewer in viewers:
        if viewer.transport is not None:
            viewer.transport.close()


if __name__ == "__main__":
    url, token, room, count = sys.argv[1:5]
    uvloop.run(hold(url, token, room, int(count)))
