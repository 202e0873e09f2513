"""The host ports a profile publishes: `ports.<key>` of every enabled service, derived from the model.

One list for the checks that read it (`profile check`'s clash rule, `doctor`'s port checks), so a service
cannot be forgotten by one of them (doctor once skipped MISP: its service is `misp-core`, its key
`ports.misp`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from minisoc.profile.model import SERVICE_NAMES, PortBinding, Ports, ServiceName, SiteProfile

_SERVICE_OF_KEY: dict[str, ServiceName] = {"misp": "misp-core"}  # every other key is its service's name


# Services that serve plain HTTP without a login: their port may be published on loopback only.
PLAIN_HTTP: dict[str, str] = {
    "correlator": "the correlator's /healthz and /metrics are plain HTTP without a login",
    "feedserver": "the feed server is a plain HTTP file server without a login",
}
# Services that are TLS with a login only when security.tls.enabled is true (the OpenSearch security plugin).
TLS_FROM_PROFILE = frozenset({"opensearch", "dashboards"})


@dataclass(frozen=True)
class PublishedPort:
    key: str  # the profile key: ports.<key>
    service: ServiceName
    binding: PortBinding

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
    return published
