"""PK view state from server payloads, the server clock, and the settings file (no Qt)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from studio.core.events import ServerEvent
from studio.core.settings_store import SettingsStore, StudioSettings
from studio.core.state import PKPhase, PKState, ServerClock
from tests.wire.contract import contract_problem
from wire.base import wire_time
from wire.events import PK


def _host(user: str, score: int = 0) -> dict[str, Any]:
    return {"id": user, "username": user, "displayName": user.title(), "score": score}


def _battle(status: str, server: datetime, **extra: Any) -> dict[str, Any]:
    """A battle exactly as the backend sends it (``extra`` overrides wire fields)."""
    return {
        "id": "b1",
        "status": status,
        "title": "",
        "duration": 1,
        "host1": _host("me"),
        "host2": _host("them"),
        "scores": {"host1": 0, "host2": 0},
        "giftCount": 0,
        "viewerCount": 0,
        "winner": None,
        "isDraw": False,
        "rewards": None,
        "inviteExpiresAt": wire_time(server + timedelta(seconds=120)),
        "startedAt": wire_time(server) if status != "pending" else None,
        "endsAt": wire_time(server + timedelta(seconds=60)) if status != "pending" else None,
        "endedAt": None,
        "endReason": None,
        "forfeitedBy": None,
        "createdAt": wire_time(server),
        "updatedAt": wire_time(server),
        "serverTime": wire_time(server),
        **extra,
    }


def _event(name: str, data: dict[str, Any]) -> ServerEvent:
    """A server event whose payload is exactly what the backend's model sends."""
    assert contract_problem({"event": name, "data": data}) is None
    return ServerEvent(name, data)


def _ended(battle: dict[str, Any], reason: str) -> dict[str, Any]:
    """The ``pk-battle:ended`` payload of an ended battle."""
    return {
        "battleId": battle["id"],
        "winner": battle["winner"],
        "isDraw": battle["isDraw"],
        "rewards": battle["rewards"],
        "scores": battle["scores"],
        "reason": reason,
        "forfeitedBy": battle["forfeitedBy"],
        "battle": battle,
    }


def test_countdown_runs_on_the_servers_clock() -> None:
    clock = ServerClock()
    server_now = datetime.now(UTC) + timedelta(hours=3)  # a server whose clock is far ahead
    clock.observe(server_now)
    left = clock.seconds_until(server_now + timedelta(seconds=60))
    assert 59.0 < left <= 60.0
    assert clock.seconds_until(server_now - timedelta(seconds=5)) == 0.0


def test_a_battle_from_challenge_to_victory() -> None:
    state = PKState("me")
    server = datetime.now(UTC) - timedelta(minutes=10)
    assert state.phase is PKPhase.IDLE
    assert state.apply(_event(PK.CREATED, {"battle": _battle("pending", server)}))
    assert state.phase is PKPhase.OUTGOING
    assert 119.0 < state.seconds_left() <= 120.0

    state.apply(_event(PK.STARTED, {"battle": _battle("active", server)}))
    assert state.phase is PKPhase.LIVE and state.my_share() == 0.5
    gift = {
        "battleId": "b1",
        "gift": {
            "giftId": "star",
            "name": "Star",
            "quantity": 3,
            "coins": 30,
            "toHost": "me",
            "side": "host1",
            "icon": "/assets/gifts/star.svg",
            "sender": {"id": "f", "username": "fan", "displayName": ""},
        },
        "scores": {"host1": 30, "host2": 10, "me": 30, "them": 10},
        "topSupporters": {
            "host1": [{"id": "f", "username": "fan", "displayName": "", "coins": 30}],
            "host2": [],
        },
    }
    assert state.apply(_event(PK.GIFT, gift))
    assert state.my_share() == 0.75
    assert state.feed[0].sender.label == "fan" and state.supporters.host1[0].coins == 30
    assert not state.apply(_event(PK.GIFT, {**gift, "battleId": "other"}))

    ended = _battle(
        "ended",
        server,
        winner="me",
        rewards={"me": {"coins": 54, "xp": 100}, "them": {"coins": 0, "xp": 40}},
        host1=_host("me", 30),
        host2=_host("them", 10),
        scores={"host1": 30, "host2": 10},
    )
    state.apply(_event(PK.ENDED, _ended(ended, "time")))
    assert state.phase is PKPhase.RESULT
    result = state.result
    assert result is not None
    assert (result.outcome, result.coins, result.xp, result.my_score) == ("won", 54, 100, 30)
    assert (result.headline, result.opponent) == ("Victory!", "Them")
    state.dismiss()
    assert state.phase is PKPhase.IDLE and not state.feed


def test_a_battle_the_opponent_forfeits_is_won_with_a_note_saying_so() -> None:
    server = datetime.now(UTC)
    forfeited = _battle(
        "ended",
        server,
        winner="me",
        endReason="forfeit",
        forfeitedBy="them",
        rewards={"me": {"coins": 50, "xp": 100}, "them": {"coins": 0, "xp": 40}},
    )
    event = _ended(forfeited, "forfeit")
    for me, outcome, note in (
        ("me", "won", "Them ended the battle early"),
        ("them", "lost", "You ended the battle early"),
    ):
        state = PKState(me)
        state.apply(_event(PK.STARTED, {"battle": _battle("active", server)}))
        assert state.apply(_event(PK.ENDED, event))
        assert state.result is not None
        assert (state.result.outcome, state.result.note) == (outcome, note)
    timed_out = PKState("me")
    timed_out.apply(_event(PK.STARTED, {"battle": _battle("active", server)}))
    on_time = {**forfeited, "endReason": "time", "forfeitedBy": None}
    timed_out.apply(_event(PK.ENDED, _ended(on_time, "time")))
    assert timed_out.result is not None and timed_out.result.note == ""


def test_an_incoming_challenge_declined() -> None:
    state = PKState("them")
    server = datetime.now(UTC)
    state.apply(_event(PK.CREATED, {"battle": _battle("pending", server)}))
    assert state.phase is PKPhase.INCOMING and state.my_side == "host2"
    cancelled = _battle("cancelled", server, endReason="declined")
    state.apply(_event(PK.CANCELLED, {"battle": cancelled, "by": "them", "reason": "declined"}))
    assert state.result is not None and state.result.headline == "Challenge declined"
    assert not state.apply(
        ServerEvent(
            PK.CREATED,
            {"battle": _battle("pending", server, host1=_host("x"), host2=_host("y"))},
        )
    )


def test_settings_round_trip_and_survive_a_corrupt_file(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    assert store.load() == StudioSettings()
    settings = StudioSettings(username="alice", token="t", source="camera:0", battle_minutes=3)
    settings.effects["beauty.smooth"] = {"amount": 40.0}
    store.save(settings)
    assert store.load() == settings
    assert store.path.stat().st_mode & 0o077 == 0

    raw = json.loads(store.path.read_text())
    store.path.write_text(json.dumps({**raw, "battle_minutes": "five", "unknown": 1}))
    assert store.load().battle_minutes == 5 and store.load().username == "alice"
    store.path.write_text("{not json")
    assert store.load() == StudioSettings()
