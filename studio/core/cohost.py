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

:class:`CohostCall` is the session's call as the broadcast engine holds it: it joins the
room, picks the kind of call from the session's topology, switches mesh ↔ SFU when the
backend renegotiates, and feeds every host's picture to a :class:`CallTiles` (the studio's
stage, or anything else that shows them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol
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
from studio.core.api_client import ApiClient
from studio.core.audio import AudioFactory
from studio.core.events import EventClient, ServerEvent
from studio.core.frames import Program
from studio.core.quality import LEVELS, Condition, QualityLevel
from studio.core.subscriber import PlayRejected, WhepPlayer
from studio.core.tasks import cancel_and_wait
from studio.core.video_track import EncodedVideoTrack
from wire.base import WireModel
from wire.events import WebRTC
from wire.payloads import PAYLOADS, parse_payload
from wire.webrtc import (
    ClientMessage,
    ExistingPeers,
    JoinRoom,
    Peer,
    PeerJoined,
    PeerLeft,
    Relay,
    RelayedCandidate,
    RelayedDescription,
    RenegotiationNeeded,
    RoomOnly,
)

log = logging.getLogger(__name__)

Send = Callable[[str, ClientMessage], Awaitable[None]]
TrackHandler = Callable[[str, MediaStreamTrack], None]
RETRY_S = 0.5


def room_event(event: str, data: Mapping[str, Any], room_id: str) -> WireModel | None:
    """The typed payload of a ``webrtc:*`` event of ``room_id`` (None for another room's, or
    for an event the server does not send)."""
    if event not in PAYLOADS or data.get("roomId") != room_id:
        return None
    return parse_payload(event, data)


class MeshCall:
    def __init__(
        self,
        room_id: str,
        flow: Program,
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

    async def handle(self, event: str, data: Mapping[str, Any]) -> None:
        message = room_event(event, data, self.room_id)
        if isinstance(message, ExistingPeers):
            for peer in message.peers:
                await self._offer(peer.user_id)
        elif isinstance(message, RelayedDescription) and message.sdp is not None:
            await self._described(event, message.from_, message.sdp)
        elif isinstance(message, RelayedCandidate) and message.from_ in self.links:
            await self._add_candidate(self.links[message.from_], message.candidate)
        elif isinstance(message, PeerLeft):
            await self._drop(message.user_id)

    async def _described(self, event: str, user_id: str, sdp: str) -> None:
        if event == WebRTC.OFFER:
            await self._answer(user_id, sdp)
        elif user_id in self.links:
            await self.links[user_id].setRemoteDescription(RTCSessionDescription(sdp, "answer"))

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
        description = pc.localDescription
        await self.send(
            WebRTC.OFFER,
            Relay(room_id=self.room_id, to=user_id, type="offer", sdp=description.sdp),
        )

    async def _answer(self, user_id: str, sdp: str) -> None:
        await self._drop(user_id)
        pc = self._link(user_id)
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        description = pc.localDescription
        await self.send(
            WebRTC.ANSWER,
            Relay(room_id=self.room_id, to=user_id, type="answer", sdp=description.sdp),
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

    async def handle(self, event: str, data: Mapping[str, Any]) -> None:
        message = room_event(event, data, self.room_id)
        if isinstance(message, ExistingPeers):
            for peer in message.peers:
                self._play(peer)
        elif isinstance(message, PeerJoined):
            self._play(message.peer)
        elif isinstance(message, PeerLeft):
            await self._stop(message.user_id)

    async def close(self) -> None:
        for user_id in list(self._tasks):
            await self._stop(user_id)

    def _play(self, peer: Peer) -> None:
        user_id = peer.user_id
        if user_id not in self._tasks:
            url = urljoin(self.base_url + "/", peer.whep_url)  # a path, or a media server
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


class CallTiles(Protocol):
    """Where a call's pictures go: one tile per host (the studio's stage implements it)."""

    @property
    def users(self) -> set[str]: ...

    def local(self, user_id: str, flow: Program) -> None: ...

    def remote(self, user_id: str, track: MediaStreamTrack) -> object: ...

    def hold(self, user_id: str) -> None: ...

    async def stop(self, user_id: str) -> None: ...

    async def stop_all(self) -> None: ...


class CohostCall:
    """A co-host session's call while the user hosts it: signaling in, tracks to the tiles."""

    def __init__(
        self,
        session_id: str,
        me: str,
        api: ApiClient,
        events: EventClient,
        flow: Program,
        tiles: CallTiles,
    ) -> None:
        self.session_id = session_id
        self.me = me
        self.api = api
        self.events = events
        self.flow = flow
        self.tiles = tiles
        self.room = ""
        self.topology = ""
        self.call: MeshCall | SfuCall | None = None
        self._inbox: asyncio.Queue[ServerEvent | None] = asyncio.Queue()  # None: stop
        self._pump: asyncio.Task[None] | None = None

    async def connect(self, topology: str) -> None:
        """Join the call as ``topology`` ("mesh" or "sfu") says."""
        self.room = self.room or await self.api.cohost_room(self.session_id)
        self.topology = topology
        if topology == "sfu":
            self.call = SfuCall(
                self.room, self.api.base_url, token=self.api.token, on_track=self._track
            )
        else:
            self.call = MeshCall(self.room, self.flow, self.events.send, on_track=self._track)
        if self._pump is None:
            self._pump = asyncio.ensure_future(self._handle())
        self.tiles.local(self.me, self.flow)
        await self.events.send(WebRTC.JOIN_ROOM, JoinRoom(room_id=self.room))

    def deliver(self, event: ServerEvent) -> None:
        """A ``webrtc:*`` event; handled in order on the call's own task."""
        if event.data.get("roomId") == self.room:
            self._inbox.put_nowait(event)

    async def close(self) -> None:
        pump, self._pump = self._pump, None
        if pump is not None:
            # aiortc can swallow a cancellation mid-call (a peer connection closing): the None
            # still ends the loop then, instead of leaving it waiting for events forever.
            self._inbox.put_nowait(None)
            await cancel_and_wait(pump)
        await self._hang_up()
        await self.tiles.stop_all()

    async def _hang_up(self) -> None:
        if self.room:
            await self.events.send(WebRTC.LEAVE_ROOM, RoomOnly(room_id=self.room))
        call, self.call = self.call, None
        if call is not None:
            await call.close()

    async def _handle(self) -> None:
        while True:
            event = await self._inbox.get()
            if event is None:
                return
            message = room_event(event.name, event.data, self.room)
            if isinstance(message, RenegotiationNeeded):
                topology = message.topology or ""  # none when a peer asked
                if topology != self.topology:
                    self._hold_remote_tiles()  # the hosts stay live, not "Offline", meanwhile
                    await self._hang_up()  # mesh ↔ SFU: join again with the other kind of call
                    await self.connect(topology)
                    continue
            if isinstance(message, PeerLeft):
                await self.tiles.stop(message.user_id)
            if self.call is not None:
                await self.call.handle(event.name, event.data)

    def _hold_remote_tiles(self) -> None:
        for user_id in self.tiles.users - {self.me}:
            self.tiles.hold(user_id)

    def _track(self, user_id: str, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self.tiles.remote(user_id, track)
