"""Co-host calls: every host sees every other host, in a mesh (≤ 4 hosts) or through the SFU.

Both classes are driven by the ``webrtc:*`` events of the room (feed them to ``handle``) and
send signaling through ``send(event, data)`` (the studio's WebSocket client). Remote video and
audio tracks are reported with ``on_track(user_id, track)``; the layout is drawn from them.

* :class:`MeshCall`: a direct peer connection to each other host. The host that joins offers
  to the hosts already there (so offers never cross); candidates travel inside the SDP, and
  trickled candidates from other clients are accepted too.
* :class:`SfuCall`: each host publishes its own stream (a :class:`~studio.core.publisher.
  Publisher`) and plays the others' streams from the backend over WHEP, retrying while a
  host is not live yet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urljoin

import httpx
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from rtc import aiortc_hooks
from studio.core.audio import AudioFactory
from studio.core.frames import FrameFlow
from studio.core.quality import LEVELS, Condition, QualityLevel
from studio.core.subscriber import PlayRejected, WhepPlayer
from studio.core.tasks import cancel_and_wait
from studio.core.video_track import EncodedVideoTrack
from wire.events import WebRTC

log = logging.getLogger(__name__)

Send = Callable[[str, dict[str, Any]], Awaitable[None]]
TrackHandler = Callable[[str, MediaStreamTrack], None]
RETRY_S = 0.5


class MeshCall:
    def __init__(
        self,
        room_id: str,
        flow: FrameFlow,
        send: Send,
        *,
        on_track: TrackHandler | None = None,
        audio: AudioFactory | None = None,
        level: QualityLevel = LEVELS[Condition.FAIR],
        codec: str = "vp8",
        ice_servers: Sequence[RTCIceServer] = (),
    ) -> None:
        self.room_id = room_id
        self.flow = flow
        self.send = send
        self.on_track = on_track
        self.audio = audio
        self.level = level
        self.codec = codec
        self.ice_servers = list(ice_servers)
        self.links: dict[str, RTCPeerConnection] = {}

    async def handle(self, event: str, data: dict[str, Any]) -> None:
        if data.get("roomId") != self.room_id:
            return
        if event == WebRTC.EXISTING_PEERS:
            for peer in data["peers"]:
                await self._offer(peer["userId"])
        elif event == WebRTC.OFFER:
            await self._answer(data["from"], data["sdp"])
        elif event == WebRTC.ANSWER and data["from"] in self.links:
            answer = RTCSessionDescription(data["sdp"], "answer")
            await self.links[data["from"]].setRemoteDescription(answer)
        elif event == WebRTC.ICE_CANDIDATE and data["from"] in self.links:
            await self._add_candidate(self.links[data["from"]], data.get("candidate"))
        elif event == WebRTC.PEER_LEFT:
            await self._drop(data["userId"])

    async def close(self) -> None:
        for user_id in list(self.links):
            await self._drop(user_id)

    def _link(self, user_id: str) -> RTCPeerConnection:
        aiortc_hooks.install()  # frames leave the jitter buffer as soon as they are complete
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self.ice_servers))
        self.links[user_id] = pc
        video = EncodedVideoTrack(self.flow, lambda: self.level, self.codec)
        transceiver = pc.addTransceiver(video, direction="sendrecv")
        aiortc_hooks.on_keyframe_request(transceiver.sender, video.request_keyframe)
        if self.audio is not None:
            pc.addTransceiver(self.audio(), direction="sendrecv")

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if self.on_track is not None:
                self.on_track(user_id, track)

        return pc

    async def _offer(self, user_id: str) -> None:
        await self._drop(user_id)
        pc = self._link(user_id)
        await pc.setLocalDescription(await pc.createOffer())
        await self.send(
            WebRTC.OFFER,
            {
                "roomId": self.room_id,
                "to": user_id,
                "type": "offer",
                "sdp": pc.localDescription.sdp,
            },
        )

    async def _answer(self, user_id: str, sdp: str) -> None:
        await self._drop(user_id)
        pc = self._link(user_id)
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send(
            WebRTC.ANSWER,
            {
                "roomId": self.room_id,
                "to": user_id,
                "type": "answer",
                "sdp": pc.localDescription.sdp,
            },
        )

    @staticmethod
    async def _add_candidate(pc: RTCPeerConnection, candidate: object) -> None:
        if not isinstance(candidate, dict) or not candidate.get("candidate"):
            return  # end of candidates, or nothing usable
        parsed = candidate_from_sdp(str(candidate["candidate"]).removeprefix("candidate:"))
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await pc.addIceCandidate(parsed)

    async def _drop(self, user_id: str) -> None:
        pc = self.links.pop(user_id, None)
        if pc is not None:
            await pc.close()


class SfuCall:
    """Plays every other host's stream from the backend (``base_url`` + their WHEP path)."""

    def __init__(
        self,
        room_id: str,
        base_url: str,
        *,
        token: str | None = None,
        on_track: TrackHandler | None = None,
        ice_servers: Sequence[RTCIceServer] = (),
    ) -> None:
        self.room_id = room_id
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.on_track = on_track
        self.ice_servers = list(ice_servers)
        self.players: dict[str, WhepPlayer] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def handle(self, event: str, data: dict[str, Any]) -> None:
        if data.get("roomId") != self.room_id:
            return
        if event == WebRTC.EXISTING_PEERS:
            for peer in data["peers"]:
                self._play(peer)
        elif event == WebRTC.PEER_JOINED:
            self._play(data["peer"])
        elif event == WebRTC.PEER_LEFT:
            await self._stop(data["userId"])

    async def close(self) -> None:
        for user_id in list(self._tasks):
            await self._stop(user_id)

    def _play(self, peer: dict[str, Any]) -> None:
        user_id = peer["userId"]
        if user_id not in self._tasks:
            url = urljoin(self.base_url + "/", peer["whepUrl"])  # a path, or a media server
            self._tasks[user_id] = asyncio.create_task(self._connect(user_id, url))

    async def _connect(self, user_id: str, url: str) -> None:
        """Play the host's stream for as long as they are in the room: again whenever the
        playback ends (a dropped connection), so a host who is publishing is seen."""
        while True:
            player = WhepPlayer(url, token=self.token, ice_servers=self.ice_servers)
            try:
                await player.start()
            except (PlayRejected, httpx.HTTPError, OSError, TimeoutError) as exc:
                await player.stop()
                if isinstance(exc, PlayRejected) and exc.status != 404:
                    log.warning("cannot play %s: %s", url, exc)
                    return
                await asyncio.sleep(RETRY_S)  # not live yet
                continue
            self.players[user_id] = player
            for track in (player.video, player.audio):
                if track is not None and self.on_track is not None:
                    self.on_track(user_id, track)
            await player.wait_ended()
            del self.players[user_id]
            await player.stop()

    async def _stop(self, user_id: str) -> None:
        task = self._tasks.pop(user_id, None)
        if task is not None:
            await cancel_and_wait(task)
        player = self.players.pop(user_id, None)
        if player is not None:
            await player.stop()
