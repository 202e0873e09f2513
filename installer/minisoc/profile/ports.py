"""The host ports a profile publishes: `ports.<key>` of every enabled service, derived from the model.

One list for the checks that read it (`profile check`'s clash rule, `doctor`'s port checks), so a service
cannot be forgotten by one of them (doctor once skipped MISP: its service is `misp-core`, its key
`ports.misp`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from minisoc.profile.model import SERVICE_NAMES, PortBinding, Ports, ServiceName, SiteProfile

_SERVICE_OF_KEY: dict[str, ServiceName] = {  # every other key is its service's name
    "misp": "misp-core",
    "syslog_udp": "syslog",
    "syslog_tcp": "syslog",
    "syslog_tls": "syslog",
    "ipfix": "netflow",
}
UDP_KEYS = frozenset({"syslog_udp", "netflow", "ipfix"})  # every other port is TCP


# Services that serve plain HTTP without a login: their port may be published on loopback only.
PLAIN_HTTP: dict[str, str] = {
    "correlator": "the correlator's /healthz and /metrics are plain HTTP without a login",
    "feedserver": "the feed server is a plain HTTP file server without a login",
    "syslog_udp": "plain syslog over UDP has neither encryption nor authentication",
    "syslog_tcp": "plain syslog over TCP has neither encryption nor authentication",
}
# What to use instead of exposing a plain port (the hint of check_exposure); default: a tunnel or a proxy.
EXPOSE_INSTEAD: dict[str, str] = {
    "syslog_udp": "keep it on 127.0.0.1 and have remote clients send over TLS to ports.syslog_tls "
    "(docs/syslog.md)",
    "syslog_tcp": "keep it on 127.0.0.1 and have remote clients send over TLS to ports.syslog_tls "
    "(docs/syslog.md)",
}
# Services that are TLS with a login only when security.tls.enabled is true (the OpenSearch security plugin).
TLS_FROM_PROFILE = frozenset({"opensearch", "dashboards"})


@dataclass(frozen=True)
class PublishedPort:
    key: str  # the profile key: ports.<key>
    service: ServiceName
    binding: PortBinding

    @property
    def protocol(self) -> str:
        """`udp` or `tcp`: what the host port is bound for (compose `protocol`, doctor's free-port probe)."""
        return "udp" if self.key in UDP_KEYS else "tcp"

    @property
    def reachable_from_network(self) -> bool:
        """Bound beyond loopback (expose: true, or a bind address of another interface)."""
        return not ipaddress.ip_address(self.binding.host_address).is_loopback


def port_service(key: str) -> ServiceName:
    """The compose service that `ports.<key>` publishes."""
    service = _SERVICE_OF_KEY.get(key, key)
    if service not in SERVICE_NAMES:
        raise ValueError(f"ports.{key} names no service")  # a model change without this mapping
    return service


def published_ports(profile: SiteProfile) -> list[PublishedPort]:
    """Every port the profile publishes on the host, in the model's order."""
    enabled = set(profile.enabled_services())
    published = []
    for key in Ports.model_fields:
        binding = getattr(profile.ports, key)
        service = port_service(key)
        if binding is not None and service in enabled:
            published.append(PublishedPort(key, service, binding))
            if key == "opensearch":  # node N of a cluster on port + N - 1 (profile/opensearch_cluster.py)
                published += [
                    PublishedPort(key, service, binding.model_copy(update={"port": binding.port + offset}))
                    for offset in range(1, profile.opensearch.nodes)
                ]
    return published
