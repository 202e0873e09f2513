"""Each host's share of a distributed site, for `minisoc plan` and `minisoc doctor` (docs/topology.md): the
services placed on it, the memory and CPUs their limits add up to, and the ports it publishes. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from minisoc.profile.model import SERVICE_NAMES, SiteProfile
from minisoc.profile.placement import Kind, host_instances
from minisoc.profile.ports import published_ports
from minisoc.profile.resources import SHIPPER_LIMITS, cpu_limits, kafka_limits, memory_limits_mb
from minisoc.profile.topology import Host
from minisoc.render.links import LINKED, joins_link, published_port


def _scaleout_limits(profile: SiteProfile, kind: Kind) -> dict[str, float]:
    """The limits render/scaleout.py gives a broker and the shipper (the one-shot topics job is done before
    the correlators start: not counted)."""
    if kind == "kafka":
        return kafka_limits(profile)
    return SHIPPER_LIMITS if kind == "shipper" else {"memory_mb": 0, "cpus": 0.0}


@dataclass(frozen=True)
class PortShare:
    key: str  # ports.<key>, or the linked kind
    port: int
    protocol: str
    address: str  # the host address it binds


@dataclass(frozen=True)
class HostShare:
    host: Host
    services: tuple[str, ...]
    memory_mb: int
    cpus: float
    ports: tuple[PortShare, ...]
    opensearch: bool  # runs an OpenSearch node (vm.max_map_count matters)
    zeek: bool  # captures live


def host_share(profile: SiteProfile, host: Host) -> HostShare:
    instances = host_instances(profile, host)
    memory = memory_limits_mb(profile)
    cpus = cpu_limits(profile)
    mb, cores = 0, 0.0
    for instance in instances:
        if instance.kind in SERVICE_NAMES:
            service = next(name for name in SERVICE_NAMES if name == instance.kind)
            mb += memory.get(service, 0)
            cores += cpus.get(service, 0.0)
        else:
            limits = _scaleout_limits(profile, instance.kind)
            mb += int(limits["memory_mb"])
            cores += limits["cpus"]
    kinds = {instance.kind for instance in instances}
    ports: list[PortShare] = []
    for published in published_ports(profile):
        if published.service in kinds:
            linked = published.service in LINKED and any(
                i.kind == published.service and joins_link(profile, host, i) for i in instances
            )
            address = "0.0.0.0" if linked and profile.site.host_links == "ports" else (  # noqa: S104
                published.binding.host_address
            )
            ports.append(PortShare(published.key, published.binding.port, published.protocol, address))
    for instance in instances:  # linked services without a ports.<key> of their own (Kafka's client port)
        unlisted = instance.kind in LINKED and instance.kind not in {p.key for p in ports}
        if unlisted and profile.site.host_links == "ports" and joins_link(profile, host, instance):
            port = published_port(profile, instance.kind)
            ports.append(PortShare(instance.kind, port, "tcp", "0.0.0.0"))  # noqa: S104
    return HostShare(
        host,
        tuple(instance.name for instance in instances),
        mb,
        round(cores, 2),
        tuple(ports),
        "opensearch" in kinds,
        "zeek" in kinds,
    )


def host_shares(profile: SiteProfile) -> list[HostShare]:
    return [host_share(profile, host) for host in profile.hosts]


def share_lines(shares: list[HostShare]) -> list[str]:
    """`minisoc plan`'s placement table: one line per host."""
    lines = []
    for share in shares:
        host = share.host
        declared = f" of {host.resources.ram_gb} GB" if host.resources.ram_gb else ""
        ports = ", ".join(f"{p.port}/{p.protocol}" for p in share.ports) or "none"
        lines.append(
            f"host {host.name} ({host.address}; {', '.join(host.roles)}): "
            f"{', '.join(share.services) or 'nothing placed'}; {share.memory_mb} MB{declared}, "
            f"{share.cpus} CPUs; ports {ports}"
        )
    return lines
