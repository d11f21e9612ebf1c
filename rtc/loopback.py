"""WebRTC between processes on one machine, without a network: ICE on 127.0.0.1."""

from __future__ import annotations

import aioice.ice


def use_loopback_for_ice() -> None:
    """aioice leaves out 127.0.0.1 when it gathers host candidates; a backend on this machine
    is reached over loopback, so offer exactly that (selftest, benchmarks, screenshots)."""
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
