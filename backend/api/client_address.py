"""Who is asking, by network address: the peer, or the client a trusted proxy names.

``X-Forwarded-For`` is honoured only from a configured trusted proxy (anyone else could write
any address there and get a fresh rate-limit budget per request). The client is the right-most
address in the header that is not itself a trusted proxy: proxies append, so what is left of
the first untrusted hop was written by the client and proves nothing.

Whether an address is a trusted proxy is remembered (a few thousand addresses at most): the
rate limit asks for every request, and parsing the address each time cost ~3% of a gift.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cached_property

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
REMEMBERED = 4096  # addresses whose trust is remembered; past that the memory starts afresh


class ClientAddress:
    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        self.trusted_proxies = tuple(trusted_proxies)
        self._trusted: dict[str, bool] = {}

    @cached_property
    def _networks(self) -> tuple[Network, ...]:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in self.trusted_proxies)

    def is_trusted(self, address: str) -> bool:
        trusted = self._trusted.get(address)
        if trusted is None:
            if len(self._trusted) >= REMEMBERED:
                self._trusted.clear()
            trusted = self._trusted[address] = self._in_networks(address)
        return trusted

    def _in_networks(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def of(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = str(client[0]) if client else "unknown"
        if not self._networks or not self.is_trusted(peer):
            return peer
        forwarded = [
            value.decode("latin-1")
            for name, value in scope["headers"]
            if name == b"x-forwarded-for"
        ]
        hops = [hop.strip() for line in forwarded for hop in line.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.is_trusted(hop):
                return hop
        return peer
