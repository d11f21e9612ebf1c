"""WHIP ingest and WHEP egress sessions around the forwarding SFU.

A session is one peer connection: an ingest session receives a publisher's stream, an egress
session sends a stream to one viewer. Sessions end on DELETE, on a replacing publisher, on
any ICE/DTLS failure or close of the remote end, and when the server shuts down; ending one
stops its tracks and closes its peer connection, so nothing is left behind.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCSessionDescription,
)
from aiortc.sdp import SessionDescription

from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.media.codecs import (
    media_directions,
    negotiated_codecs,
    only_codecs,
    preferences_for,
    without_receiver_estimates,
)
from backend.media.sfu import Fanout, ForwardedTrack
from backend.media.trickle import IceFragment, IceRestartUnsupported
from backend.settings import IceServer, ice_for_client
from backend.storage.db import Serve
from rtc import aiortc_hooks

# Whom the media server's own TURN credentials name (coturn logs it).
MEDIA_SERVER_USER = "onair-media"

log = logging.getLogger(__name__)

SessionKind = Literal["ingest", "egress"]
StreamListener = Callable[[str, bool], None]
KINDS = ("video", "audio")


@dataclass(eq=False)
class Session:
    id: str
    kind: SessionKind
    stream: str
    user_id: str
    pc: RTCPeerConnection
    answer: str = ""
    tracks: list[ForwardedTrack] = field(default_factory=list)
    ended: bool = False
    key_id: str | None = None  # the stream key it was published with, if any


@dataclass(eq=False)
class Stream:
    name: str
    owner_id: str
    fanouts: dict[str, Fanout] = field(default_factory=lambda: {k: Fanout(k) for k in KINDS})
    codecs: dict[str, RTCRtpCodecParameters] = field(default_factory=dict)
    publisher: Session | None = None
    viewers: set[Session] = field(default_factory=set)
    members_only: bool = False  # guests (anonymous viewer tokens) may not play it

    @property
    def live(self) -> bool:
        return self.publisher is not None


class MediaServer:
    def __init__(
        self,
        ice_servers: Sequence[IceServer] = (),
        listener: StreamListener | None = None,
        serve: Serve | None = None,
    ) -> None:
        aiortc_hooks.install()
        self.ice_servers = tuple(ice_servers)
        self.streams: dict[str, Stream] = {}
        self.sessions: dict[str, Session] = {}
        self._listener = listener
        # Runs the end of a session its connection lost (the listener may use the database:
        # ``Database.serve``, so its round trips do not stall the loop).
        self._serve = serve
        self._closing: set[asyncio.Task[None]] = set()

    def _peer_connection(self) -> RTCPeerConnection:
        servers = [RTCIceServer(**s) for s in ice_for_client(self.ice_servers, MEDIA_SERVER_USER)]
        return RTCPeerConnection(RTCConfiguration(iceServers=servers))

    # ---- ingest (WHIP) -----------------------------------------------------------
    async def publish(
        self, stream_name: str, user_id: str, offer_sdp: str, members_only: bool = False
    ) -> Session:
        """Accept a publisher's offer; any earlier publisher of the stream is replaced.
        ``members_only``: guests may not play it."""
        offered = _parse_offer(offer_sdp, wanted="send")
        stream = self.streams.get(stream_name)
        if stream is not None and stream.owner_id != user_id:
            raise Forbidden("This stream belongs to someone else.")
        pc = self._peer_connection()
        session = self._new_session("ingest", stream_name, user_id, pc)
        remote_tracks = []

        @pc.on("track")
        def on_track(track: object) -> None:
            aiortc_hooks.receive_encoded(track)  # type: ignore[arg-type]
            remote_tracks.append(track)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await self._discard(session)
            raise InvalidInput(f"Cannot accept this offer: {exc}") from exc
        session.answer = pc.localDescription.sdp
        codecs = negotiated_codecs(session.answer)
        if not remote_tracks or not set(codecs) & offered:
            await self._discard(session)
            raise InvalidInput("The offer sends no audio or video this server can receive.")

        stream = self.streams.get(stream_name)
        if stream is None:
            stream = self.streams[stream_name] = Stream(stream_name, user_id)
        if stream.publisher is not None:
            await self.end(stream.publisher.id)
            # Ending the only session of a stream nobody watches forgets the stream.
            stream = self.streams.setdefault(stream_name, stream)
        if any(stream.codecs.get(k, c).mimeType != c.mimeType for k, c in codecs.items()):
            for viewer in tuple(stream.viewers):  # they negotiated the old codec
                await self.end(viewer.id)
        stream.codecs = codecs
        stream.publisher = session
        stream.members_only = members_only
        for transceiver in pc.getTransceivers():
            track = transceiver.receiver.track
            if transceiver.kind in codecs and track in remote_tracks:
                stream.fanouts[transceiver.kind].attach(
                    track,
                    codecs[transceiver.kind].mimeType,
                    functools.partial(aiortc_hooks.request_keyframe, transceiver.receiver),
                )
        self._watch(session)
        if self._listener:
            self._listener(stream_name, True)
        return session

    # ---- egress (WHEP) -----------------------------------------------------------
    async def play(self, stream_name: str, user_id: str, offer_sdp: str) -> Session:
        """Answer a viewer's offer with the stream's tracks, forwarded without re-encoding."""
        offered = _parse_offer(offer_sdp, wanted="receive")
        stream = self.streams.get(stream_name)
        if stream is None or not stream.live:
            raise NotFound("This stream is not live.")
        pc = self._peer_connection()
        session = self._new_session("egress", stream_name, user_id, pc)
        for kind in KINDS:
            if kind not in offered or kind not in stream.codecs:
                continue
            track = stream.fanouts[kind].subscribe()
            session.tracks.append(track)
            transceiver = pc.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(preferences_for(stream.codecs[kind]))
            aiortc_hooks.on_keyframe_request(transceiver.sender, track.keyframe_requested)
            aiortc_hooks.forward_with(transceiver.sender, track)
        if not session.tracks:
            await self._discard(session)
            raise InvalidInput("The offer receives nothing this stream has.")
        offer = only_codecs(without_receiver_estimates(offer_sdp), stream.codecs)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            await self._discard(session)
            raise Conflict(f"Cannot play this stream with that offer: {exc}") from exc
        for transceiver in pc.getTransceivers():
            if transceiver.mid is None and isinstance(transceiver.sender.track, ForwardedTrack):
                transceiver.sender.track.stop()  # the viewer did not ask for this kind
        session.answer = pc.localDescription.sdp
        stream.viewers.add(session)
        self._watch(session)
        return session

    # ---- lifetime ----------------------------------------------------------------
    def session(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise NotFound("No such media session.")
        return session

    def own_session(self, session_id: str, user_id: str) -> Session:
        session = self.session(session_id)
        if session.user_id != user_id:
            raise NotFound("No such media session.")
        return session

    async def trickle(self, session: Session, fragment: IceFragment) -> None:
        """Add a client's trickled candidates (and its end-of-candidates) to the session."""
        remote = SessionDescription.parse(session.pc.remoteDescription.sdp)
        known = {(m.ice.usernameFragment, m.ice.password) for m in remote.media if m.ice}
        if fragment.ufrag is not None and (fragment.ufrag, fragment.pwd) not in known:
            raise IceRestartUnsupported("ICE restarts are not supported: publish again instead.")
        transceivers = session.pc.getTransceivers()
        for candidate in fragment.candidates:
            owner = next(
                (t for t in transceivers if t.mid == candidate.sdpMid),
                transceivers[min(candidate.sdpMLineIndex or 0, len(transceivers) - 1)],
            )  # bundled transceivers share the first one's ICE transport
            await owner.receiver.transport.transport.addRemoteCandidate(candidate)
        if fragment.end_of_candidates:
            for transport in {t.receiver.transport.transport for t in transceivers}:
                await transport.addRemoteCandidate(None)

    async def end(self, session_id: str, user_id: str | None = None) -> None:
        """End a session (``user_id`` given: only its own user may end it)."""
        if user_id is None:
            session = self.session(session_id)
        else:
            session = self.own_session(session_id, user_id)
        await self._discard(session)
        stream = self.streams.get(session.stream)
        if stream is None:
            return
        if stream.publisher is session:
            stream.publisher = None
            for fanout in stream.fanouts.values():
                fanout.detach()
            if self._listener:
                self._listener(stream.name, False)
        stream.viewers.discard(session)
        if stream.publisher is None and not stream.viewers:
            for fanout in stream.fanouts.values():
                await fanout.close()
            del self.streams[stream.name]

    async def end_published_with(self, key_id: str) -> None:
        """End the sessions published with a stream key (it was revoked)."""
        for session in list(self.sessions.values()):
            if session.key_id == key_id:
                await self.end(session.id)

    async def close(self) -> None:
        for session_id in list(self.sessions):
            if session_id in self.sessions:
                await self.end(session_id)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _new_session(
        self, kind: SessionKind, stream: str, user_id: str, pc: RTCPeerConnection
    ) -> Session:
        session = Session(secrets.token_urlsafe(16), kind, stream, user_id, pc)
        self.sessions[session.id] = session
        return session

    async def _discard(self, session: Session) -> None:
        if session.ended:
            return
        session.ended = True
        self.sessions.pop(session.id, None)
        for track in session.tracks:
            track.stop()
        await session.pc.close()

    def _watch(self, session: Session) -> None:
        @session.pc.on("connectionstatechange")
        def on_state() -> None:
            if session.pc.connectionState in ("failed", "closed") and not session.ended:
                ending = self._end_quietly(session.id)
                task = asyncio.ensure_future(self._serve(ending) if self._serve else ending)
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    async def _end_quietly(self, session_id: str) -> None:
        if session_id in self.sessions:
            await self.end(session_id)

    def summary(self) -> dict[str, object]:
        return {
            "streams": {
                name: {
                    "live": stream.live,
                    "viewers": len(stream.viewers),
                    "codecs": {k: c.mimeType for k, c in stream.codecs.items()},
                }
                for name, stream in self.streams.items()
            },
            "sessions": len(self.sessions),
        }


def _parse_offer(sdp: str, wanted: Literal["send", "receive"]) -> set[str]:
    """The media kinds an offer sends (``send``) or wants to receive (``receive``), from its
    media lines and their directions only: aiortc parses the whole offer when it takes it, and
    a browser's offer is long (see :func:`only_codecs`)."""
    if not sdp.startswith("v=0"):
        raise InvalidInput("Not an SDP offer: it must start with v=0.")
    accepted = ("sendonly", "sendrecv") if wanted == "send" else ("recvonly", "sendrecv")
    kinds = {kind for kind, way in media_directions(sdp) if kind in KINDS and way in accepted}
    if not kinds:
        raise InvalidInput(f"The offer has no audio or video to {wanted}.")
    return kinds
