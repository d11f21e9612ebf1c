"""aioice skips 127.0.0.1 when it gathers host candidates; tests on one machine with only
loopback networking give it 127.0.0.1 explicitly (no STUN servers are configured either)."""

from __future__ import annotations


def loopback_only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """``aioice.ice.get_host_addresses`` for loopback-only ICE."""
    return ["127.0.0.1"] if use_ipv4 else []
