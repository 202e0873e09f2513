"""How the host connects to a port a site publishes: the bind address as a URL's host."""

from __future__ import annotations

import ipaddress


def connect_host(bind_address: str) -> str:
    """The host part of a URL that reaches a port bound to `bind_address`. An unspecified (wildcard)
    address listens on every address of its family, so connect through that family's loopback:
    0.0.0.0, :: or an empty bind -> 127.0.0.1. A `::` listener is dual-stack on Linux (bindv6only=0), so
    127.0.0.1 reaches it even where IPv6 loopback is off, and every site certificate names 127.0.0.1.
    IPv6 addresses are bracketed; a name is kept."""
    if not bind_address:
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(bind_address)
    except ValueError:
        return bind_address  # a host name
    if address.is_unspecified:
        return "127.0.0.1"
    return f"[{address}]" if address.version == 6 else str(address)
