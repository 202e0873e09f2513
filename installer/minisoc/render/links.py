"""How the hosts of a distributed site reach each other's services (docs/topology.md).

Services other hosts reach (`LINKED`: OpenSearch nodes, Kafka brokers) are addressed as `endpoint()` says:

- `site.host_links: ports` (real hosts): the service publishes its port on its host, clients use
  `<host address>:<port>`;
- `site.host_links: docker-network` (every host on one Docker engine: CI, demos): each host is its own compose
  project with its own network; linked services also join the one external network `<project>-link` with the
  alias `<service>.<host name>`, and so do the clients on other hosts. Nothing else is shared.

The names clients use are added to the certificates (`link_cert_names`), so TLS checks the host name.
"""

from __future__ import annotations

from minisoc.profile.model import SiteProfile
from minisoc.profile.placement import Instance, Kind, host_instances
from minisoc.profile.topology import Host
from minisoc.site import connect_host

# kind -> the port its clients connect to inside the container network
LINKED: dict[Kind, int] = {"opensearch": 9200, "kafka": 9093}
# kind -> who connects to it from other hosts (the correlator to OpenSearch; the shipper and correlator to
# Kafka once those parts land)
CLIENTS: dict[Kind, tuple[Kind, ...]] = {
    "opensearch": ("correlator",),
    "kafka": ("shipper", "correlator"),
}
LINK_NETWORK_KEY = "minisoc-link"  # the network's key inside each host's compose.yaml


def link_network(profile: SiteProfile) -> str:
    """The engine-wide name of the external link network (docker-network links)."""
    return f"{profile.project_name}-link"


def host_project(profile: SiteProfile, host: Host) -> str:
    """The compose project of one host: the site's project name and the host's name."""
    return f"{profile.project_name}-{host.name}"


def link_alias(instance: Instance, host: Host) -> str:
    return f"{instance.name}.{host.name}"


def published_port(profile: SiteProfile, kind: Kind) -> int:
    """The host port a linked service publishes with ports links (`ports.opensearch`, else its own)."""
    if kind == "opensearch" and profile.ports.opensearch is not None:
        return profile.ports.opensearch.port
    return LINKED[kind]


def endpoint(profile: SiteProfile, host: Host, instance: Instance) -> str:
    """`name:port` a client on another host uses to reach `instance` on `host`."""
    if profile.site.host_links == "docker-network":
        return f"{link_alias(instance, host)}:{LINKED[instance.kind]}"
    return f"{connect_host(host.address)}:{published_port(profile, instance.kind)}"


def endpoints(profile: SiteProfile, kind: Kind) -> list[str]:
    """Every endpoint of `kind` in the site, host by host (a client's list of brokers or nodes)."""
    return [
        endpoint(profile, host, instance)
        for host in profile.hosts
        for instance in host_instances(profile, host)
        if instance.kind == kind
    ]


def link_cert_names(profile: SiteProfile) -> list[str]:
    """The names clients on other hosts use: with ports links every host's address (a syslog sender, a
    browser or a broker's client reaches the host by it), with docker-network links the link aliases."""
    names: list[str] = []
    if profile.site.host_links == "ports":
        return list(dict.fromkeys(host.address for host in profile.hosts))
    for host in profile.hosts:
        for instance in host_instances(profile, host):
            if instance.kind not in LINKED:
                continue
            name = link_alias(instance, host)
            if name not in names:
                names.append(name)
    return names


def joins_link(profile: SiteProfile, host: Host, instance: Instance) -> bool:
    """Whether `instance` on `host` must be on the link network: a linked service some client on another
    host reaches, or a client of a linked service on another host."""
    others = [
        (other, theirs)
        for other in profile.hosts
        if other.name != host.name
        for theirs in host_instances(profile, other)
    ]
    if instance.kind in LINKED:
        return any(theirs.kind in CLIENTS[instance.kind] for _, theirs in others)
    return any(instance.kind in CLIENTS.get(theirs.kind, ()) for _, theirs in others)
