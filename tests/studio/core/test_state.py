"""PK view state from server payloads, the server clock, and the settings file (no Qt)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from studio.core.events import ServerEvent
from studio.core.settings_store import SettingsStore, StudioSettings
from studio.core.state import PKPhase, PKState, ServerClock
from wire.events import PK


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _battle(status: str, server: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "id": "b1",
        "status": status,
        "title": "",
        "duration": 1,
        "host1": {"id": "me", "username": "me", "displayName": "Me", "score": 0},
        "host2": {"id": "them", "username": "them", "displayName": "Them", "score": 0},
        "winner": None,
        "isDraw": False,
        "rewards": None,
        "inviteExpiresAt": _iso(server + timedelta(seconds=120)),
        "endsAt": _iso(server + timedelta(seconds=60)) if status != "pending" else None,
        "serverTime": _iso(server),
        "endReason": None,
        **extra,
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
    assert state.apply(ServerEvent(PK.CREATED, {"battle": _battle("pending", server)}))
    assert state.phase is PKPhase.OUTGOING
    assert 119.0 < state.seconds_left() <= 120.0

    state.apply(ServerEvent(PK.STARTED, {"battle": _battle("active", server)}))
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
            "sender": {"id": "f", "username": "fan"},
        },
        "scores": {"host1": 30, "host2": 10, "me": 30, "them": 10},
        "topSupporters": {"host1": [{"id": "f", "username": "fan", "coins": 30}], "host2": []},
    }
    assert state.apply(ServerEvent(PK.GIFT, gift))
    assert state.my_share() == 0.75
    assert state.feed[0].sender == "fan" and state.supporters["host1"][0].coins == 30
    assert not state.apply(ServerEvent(PK.GIFT, {**gift, "battleId": "other"}))

    ended = _battle(
        "ended",
        server,
        winner="me",
        rewards={"me": {"coins": 54, "xp": 100}},
        host1={"id": "me", "username": "me", "score": 30},
        host2={"id": "them", "username": "them", "displayName": "Them", "score": 10},
    )
    state.apply(ServerEvent(PK.ENDED, {"battleId": "b1", "winner": "me", "battle": ended}))
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
    event = {"battleId": "b1", "reason": "forfeit", "forfeitedBy": "them", "battle": forfeited}
    for me, outcome, note in (
        ("me", "won", "Them ended the battle early"),
        ("them", "lost", "You ended the battle early"),
    ):
        state = PKState(me)
        state.apply(ServerEvent(PK.STARTED, {"battle": _battle("active", server)}))
        assert state.apply(ServerEvent(PK.ENDED, event))
        assert state.result is not None
        assert (state.result.outcome, state.result.note) == (outcome, note)
    timed_out = PKState("me")
    timed_out.apply(ServerEvent(PK.STARTED, {"battle": _battle("active", server)}))
    timed_out.apply(
        ServerEvent(PK.ENDED, {"battleId": "b1", "battle": {**forfeited, "endReason": "time"}})
    )
    assert timed_out.result is not None and timed_out.result.note == ""


def test_an_incoming_challenge_declined() -> None:
    state = PKState("them")
    server = datetime.now(UTC)
    state.apply(ServerEvent(PK.CREATED, {"battle": _battle("pending", server)}))
    assert state.phase is PKPhase.INCOMING and state.my_side == "host2"
    cancelled = _battle("cancelled", server, endReason="declined")
    state.apply(ServerEvent(PK.CANCELLED, {"battle": cancelled, "reason": "declined"}))
    assert state.result is not None and state.result.headline == "Challenge declined"
    assert not state.apply(
        ServerEvent(
            PK.CREATED,
            {"battle": {**_battle("pending", server), "host1": {"id": "x"}, "host2": {"id": "y"}}},
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
