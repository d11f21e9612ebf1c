"""The contract's own rules: what a received event must look like, what the hub refuses."""

from __future__ import annotations

from typing import Any

import pytest

import wire.events
from backend.realtime.hub import Hub as EventHub
from backend.realtime.hub import encode
from tests.wire.contract import contract_problem
from wire.events import Hub, Stream, WebRTC, stream_room
from wire.hub import RoomJoined, StreamViewers
from wire.multihost import HostSettings, LayoutRequest, NewSession
from wire.payloads import PAYLOADS
from wire.webrtc import REQUESTS, JoinRoom, LinkReport, Relay, RoomOnly

# What clients send and the server only receives: no payload model of the server's.
CLIENT_TO_SERVER = frozenset(
    {
        Hub.JOIN,
        Hub.LEAVE,
        Hub.PING,
        WebRTC.JOIN_ROOM,
        WebRTC.LEAVE_ROOM,
        WebRTC.START_PK_BATTLE,
        WebRTC.START_MULTIHOST,
        WebRTC.TOGGLE_TRACK,
        WebRTC.CHANGE_LAYOUT,
        WebRTC.ADAPT_QUALITY,
        WebRTC.HEALTH_CHECK,
        WebRTC.STATS_UPDATE,
        WebRTC.RENEGOTIATE,
    }
)


def declared_event_names() -> set[str]:
    """Every event name constant of ``wire.events`` (the attributes of its classes)."""
    return {
        value
        for group in vars(wire.events).values()
        if isinstance(group, type) and group.__module__ == wire.events.__name__
        for name, value in vars(group).items()
        if not name.startswith("_") and isinstance(value, str)
    }


def test_every_event_the_server_sends_has_a_payload_model() -> None:
    names = declared_event_names()
    assert names >= CLIENT_TO_SERVER
    assert sorted(names - CLIENT_TO_SERVER - set(PAYLOADS)) == []
    assert sorted(set(PAYLOADS) - names) == [], "a model for an event wire.events does not name"


def test_an_event_without_a_model_is_a_problem() -> None:
    problem = contract_problem({"event": "made-up:event", "data": {}})
    assert problem is not None and "no payload model" in problem


def test_an_event_exactly_as_its_model_sends_it_passes() -> None:
    message = {"event": Hub.PONG, "data": {"t": 1.5, "serverTime": 2.0}}
    assert contract_problem(message) is None


def test_an_extra_or_missing_field_is_named() -> None:
    extra = {"event": Hub.JOINED, "data": {"room": "r", "members": 1, "secret": "x"}}
    missing = {"event": Stream.VIEWERS, "data": {"stream": "alice"}}
    assert "secret" in (contract_problem(extra) or "")
    assert "viewers" in (contract_problem(missing) or "")


def test_the_hub_refuses_a_payload_of_another_event() -> None:
    with pytest.raises(TypeError, match="StreamViewers"):
        encode(Stream.VIEWERS, RoomJoined(room="r", members=1))
    assert '"viewers":3' in encode(Stream.VIEWERS, StreamViewers(stream="a", viewers=3))


def test_the_hub_refuses_an_untyped_payload() -> None:
    untyped: Any = {"stream": "a", "viewers": 3}
    with pytest.raises(TypeError, match="StreamViewers"):
        encode(Stream.VIEWERS, untyped)


def test_an_event_nobody_receives_is_held_to_the_contract_and_heard_but_not_serialised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub, heard = EventHub(), []
    hub.publish_listeners.append(lambda rooms, event, data: heard.append((rooms, event)))
    empty = stream_room("nobody")
    with pytest.raises(TypeError, match="StreamViewers"):
        hub.publish(empty, Stream.VIEWERS, RoomJoined(room="r", members=1))

    def serialise(*_: object, **__: object) -> str:
        raise AssertionError("serialised for nobody")

    monkeypatch.setattr(StreamViewers, "model_dump_json", serialise)
    hub.publish(empty, Stream.VIEWERS, StreamViewers(stream="nobody", viewers=0))
    assert heard == [((empty,), Stream.VIEWERS)]  # e.g. the chat's lines about events


def test_every_webrtc_event_a_client_sends_has_a_request_model() -> None:
    """The studio builds these and the backend validates with them (``wire.webrtc.REQUESTS``):
    the client-only names, and the descriptions and candidates relayed both ways."""
    client_only = {name for name in CLIENT_TO_SERVER if name.startswith("webrtc:")}
    relayed = {WebRTC.OFFER, WebRTC.ANSWER, WebRTC.ICE_CANDIDATE}
    assert set(REQUESTS) == client_only | relayed


def test_requests_go_out_as_the_viewer_page_writes_them() -> None:
    assert JoinRoom(room_id="r").to_wire() == {"roomId": "r"}
    assert JoinRoom(room_id="r", stream_id="alice").to_wire() == {
        "roomId": "r",
        "streamId": "alice",
    }
    assert RoomOnly(room_id="r").to_wire() == {"roomId": "r"}
    offer = Relay(room_id="r", to="u2", type="offer", sdp="v=0 o=- 1 1")
    assert offer.to_wire() == {"roomId": "r", "to": "u2", "type": "offer", "sdp": "v=0 o=- 1 1"}
    report = LinkReport(room_id="stream-a", packet_loss=0.5, bitrate=1500.0, fps=30.0)
    assert report.to_wire() == {
        "roomId": "stream-a",
        "packetLoss": 0.5,
        "bitrate": 1500.0,
        "fps": 30.0,
    }
    assert LinkReport.model_validate({"roomId": " r ", "rtt": 12, "extra": 1}).room_id == "r"


def test_a_body_sends_only_what_its_sender_gave() -> None:
    """The server's defaults stay the server's: a field left out (or None) is not sent."""
    assert NewSession(title="t", type="panel", grid=None).to_body() == {
        "title": "t",
        "type": "panel",
    }
    mute = HostSettings(user_id=None, audio_enabled=False, video_enabled=None).to_body()
    assert mute == {"audioEnabled": False}
    assert LayoutRequest(mode="pip", main_host_id="u1").to_body() == {
        "mode": "pip",
        "mainHostId": "u1",
    }
    with pytest.raises(ValueError, match="hostScore"):
        NewSession.model_validate({"title": "t", "type": "panel", "hostScore": 5})
