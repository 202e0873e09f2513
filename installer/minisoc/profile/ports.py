"""The host ports a profile publishes: `ports.<key>` of every enabled service, derived from the model.

One list for the checks that read it (`profile check`'s clash rule, `doctor`'s port checks), so a service
cannot be forgotten by one of them (doctor once skipped MISP: its service is `misp-core`, its key
`ports.misp`).
"""

from __future__ import annotations

from dataclasses import dataclass

from minisoc.profile.model import SERVICE_NAMES, PortBinding, Ports, ServiceName, SiteProfile

_SERVICE_OF_KEY: dict[str, ServiceName] = {"misp": "misp-core"}  # every other key is its service's name


@dataclass(frozen=True)
class PublishedPort:
    key: str  # the profile key: ports.<key>
    service: ServiceName
    binding: PortBinding


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
