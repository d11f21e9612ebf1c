"""How the hosts of a call reach each other: the spec's one rule, for co-hosts and PK rooms.

Up to four hosts connect directly to each other (``mesh``: offers, answers and candidates
relayed as ``webrtc:*`` events); above that each host publishes once to the backend's SFU and
plays the others from it (``sfu``). The backend decides; the studio joins the call it names.
"""

from __future__ import annotations

from typing import Final, Literal

Topology = Literal["mesh", "sfu"]

MESH: Final = "mesh"
SFU: Final = "sfu"
MESH_MAX_HOSTS = 4
MAX_HOSTS = 9  # the hosts of a co-host session at most


def topology(hosts: int) -> Topology:
    """The call's topology for ``hosts`` hosts."""
    return MESH if hosts <= MESH_MAX_HOSTS else SFU
