"""One rule for how the hosts of a call connect: a mesh up to four hosts, the SFU above."""

from __future__ import annotations

from wire.topology import MESH_MAX_HOSTS, topology


def test_four_hosts_connect_directly_and_a_fifth_moves_the_call_to_the_sfu() -> None:
    assert [topology(n) for n in range(1, MESH_MAX_HOSTS + 1)] == ["mesh"] * MESH_MAX_HOSTS
    assert MESH_MAX_HOSTS == 4 and topology(5) == "sfu" and topology(9) == "sfu"
