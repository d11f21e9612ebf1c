"""Playing a stream in the studio: a WHEP client (co-hosts in SFU mode, previews, tests).

POST a receive-only offer to a WHEP URL, get the answer and a ``Location``; the decoded remote
tracks are :attr:`WhepPlayer.video` and :attr:`WhepPlayer.audio`. ``stop()`` DELETEs the
session and closes the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import httpx
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)

from rtc import aiortc_hooks
from wire.http import tls_context

CONNECT_TIMEOUT_S = 10.0


class PlayRejected(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"WHEP server said {status}: {body}")
        self.status = status


class WhepPlayer:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        ice_servers: Sequence[RTCIceServer] = (),
        kinds: Sequence[str] = ("video", "audio"),
    ) -> None:
        self.url = url
        self.token = token
        self.kinds = tuple(kinds)
        aiortc_hooks.install()  # frames leave the jitter buffer as soon as they are complete
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=list(ice_servers)))
        self.video: MediaStreamTrack | None = None
        self.audio: MediaStreamTrack | None = None
        self.resource: str | None = None
        self._connected = asyncio.Event()
        self._ended = asyncio.Event()

    async def start(self) -> None:
        pc = self.pc
        for kind in self.kinds:
            pc.addTransceiver(kind, direction="recvonly")

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            setattr(self, track.kind, track)
            track.on("ended", self._ended.set)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected":
                self._connected.set()
            elif pc.connectionState in ("failed", "closed"):
                self._ended.set()

        await pc.setLocalDescription(await pc.createOffer())
        headers = {"Content-Type": "application/sdp", **self._auth()}
        async with httpx.AsyncClient(
            timeout=10.0, follow_redirects=True, verify=tls_context()
        ) as http:
            response = await http.post(self.url, content=pc.localDescription.sdp, headers=headers)
        if response.status_code != 201:
            await pc.close()
            raise PlayRejected(response.status_code, response.text)
        self.resource = str(response.url.join(response.headers["location"]))
        await pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await self._connected.wait()

    async def wait_ended(self) -> None:
        """Until the playback ends: the connection failed or closed, or a track ended."""
        await self._ended.wait()

    async def stop(self) -> None:
        if self.resource:
            resource, self.resource = self.resource, None
            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient(timeout=2.0, verify=tls_context()) as http:
                    await http.delete(resource, headers=self._auth())
        await self.pc.close()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}
