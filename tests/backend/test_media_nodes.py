"""Which node holds each stream (backend/media/nodes.py), with a clock the test moves: a
holder is named only while it beats, and a dead node's streams are released once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from backend.media.nodes import HeldStream, Holder, MediaNodes
from backend.settings import Settings
from backend.storage.db import Database, utc_now

TTL = 15.0


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def beating_pair(database: Database) -> tuple[Clock, MediaNodes, MediaNodes]:
    """Two nodes on one clock, each having beaten once."""
    clock = Clock()
    a = MediaNodes(database, "http://10.0.0.11:8765", TTL, clock)
    b = MediaNodes(database, "http://10.0.0.12:8765", TTL, clock)
    a.beat()
    b.beat()
    return clock, a, b


def test_a_stream_is_held_by_the_node_that_claimed_it_while_that_node_beats(
    database: Database,
) -> None:
    _, a, b = beating_pair(database)
    assert a.holder("alice") is None
    a.claim("alice", "user-alice")
    assert b.holder("alice") == Holder(a.id, "http://10.0.0.11:8765")
    assert b.live_owners() == {"user-alice"}
    b.claim("alice", "user-alice")  # the studio published again, through B
    a.release("alice")  # A's old publisher going away does not release B's stream
    assert a.holder("alice") == Holder(b.id, "http://10.0.0.12:8765")
    b.release("alice")
    assert a.holder("alice") is None and a.live_owners() == set()


def test_a_dead_nodes_streams_are_released_once_by_a_live_nodes_beat(database: Database) -> None:
    clock, a, b = beating_pair(database)
    a.claim("alice", "user-alice")
    a.claim("alice~music", "user-alice")
    clock.advance(TTL / 2)
    assert b.beat() == []  # A is late, not dead
    assert b.holder("alice") is not None
    clock.advance(TTL)  # A has not beaten for 1.5 TTL; B beat half a TTL ago
    assert b.holder("alice") is None  # nobody is sent to a dead node
    assert b.live_owners() == set()
    assert sorted(b.beat()) == ["alice", "alice~music"]
    assert b.beat() == []
    assert database.all("SELECT id FROM media_nodes") == [{"id": b.id}]


def test_the_live_list_tells_each_streams_holder_visibility_and_still(database: Database) -> None:
    clock, a, b = beating_pair(database)
    a.claim("alice", "user-alice", members_only=True)
    b.claim("bob", "user-bob")
    a.still_taken("bob")  # not A's stream: nothing changes
    assert a.live_streams() == [
        HeldStream("alice", "user-alice", a.id, members_only=True, has_still=False),
        HeldStream("bob", "user-bob", b.id, members_only=False, has_still=False),
    ]
    b.still_taken("bob")
    assert [s.has_still for s in a.live_streams()] == [False, True]
    b.claim("bob", "user-bob")  # published again: no still of this live yet
    assert [s.has_still for s in a.live_streams()] == [False, False]
    clock.advance(TTL / 2)
    a.beat()
    clock.advance(TTL)  # B has not beaten for 1.5 TTL
    assert [s.stream for s in a.live_streams()] == ["alice"]


def test_a_node_that_leaves_takes_its_streams_with_it(database: Database) -> None:
    a = MediaNodes(database, "http://10.0.0.11:8765", TTL)
    a.beat()
    a.claim("alice", "user-alice")
    a.leave()
    assert database.all("SELECT stream FROM media_streams") == []
    assert database.all("SELECT id FROM media_nodes") == []


@pytest.mark.one_engine
def test_a_nodes_address_defaults_to_its_host_and_port_and_must_be_a_bare_http_url() -> None:
    assert Settings(host="10.0.0.11", port=8765).advertised_node_url == "http://10.0.0.11:8765"
    given = Settings(node_url="https://media-a.internal:8443/")
    assert given.advertised_node_url == "https://media-a.internal:8443"
    for wrong in ("10.0.0.11:8765", "ftp://10.0.0.11", "http://10.0.0.11:8765/onair"):
        with pytest.raises(ValueError, match="node URL must look like"):
            Settings(node_url=wrong)
