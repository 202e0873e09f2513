"""Which host runs what, for `site.topology: distributed` (docs/topology.md): `placement(profile)`.

One function per role returns that host's services (`sensor_services`, `hub_services`, `storage_services`);
a host with several roles runs the union. Replicated kinds are spread round-robin over the hosts of their
role, in profile order: Kafka brokers and correlator replicas over the hub hosts, OpenSearch nodes over the
storage hosts. MISP and the feed server run on the first hub, Dashboards on the first storage host.

The counts come through `scale_counts` alone: `kafka.brokers` and `opensearch.nodes` are read when the
profile has them (the kafka and oscluster parts add them), else 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from minisoc.profile.model import SiteProfile
from minisoc.profile.opensearch_cluster import node_names
from minisoc.profile.topology import Host, Role

# Kinds of service a distributed site runs: the single-host services plus Kafka and the sensor's shipper.
Kind = Literal[
    "zeek",
    "syslog",
    "netflow",
    "shipper",
    "kafka",
    "correlator",
    "misp-core",
    "misp-modules",
    "misp-db",
    "misp-cache",
    "feedserver",
    "opensearch",
    "dashboards",
]
MISP_KINDS: tuple[Kind, ...] = ("misp-core", "misp-modules", "misp-db", "misp-cache")


@dataclass(frozen=True)
class ScaleCounts:
    kafka_brokers: int
    opensearch_nodes: int
    correlator_replicas: int


def _count(section: object, field: str) -> int:
    value = getattr(section, field, 1) if section is not None else 1
    return value if isinstance(value, int) and value >= 1 else 1


def scale_counts(profile: SiteProfile) -> ScaleCounts:
    """How many brokers, nodes and replicas the profile asks for (1 where its section does not say)."""
    return ScaleCounts(
        kafka_brokers=_count(getattr(profile, "kafka", None), "brokers"),
        opensearch_nodes=_count(profile.opensearch, "nodes"),
        correlator_replicas=profile.correlator.replicas if profile.correlator.enabled else 0,
    )


@dataclass(frozen=True, order=True)
class Instance:
    """One service instance placed on a host: `name` is its compose service name."""

    kind: Kind
    index: int  # 1-based among the instances of its kind
    name: str


def instance_names(kind: Kind, count: int) -> list[str]:
    """Compose service names of `count` instances: the kind's own name for one (as in a single-host site),
    `<kind>-<n>` for several; Kafka brokers are always numbered (`kafka-1`: stacks/kafka's node names) and
    OpenSearch nodes are `opensearch`, `opensearch-2`... (`minisoc.profile.opensearch_cluster.node_names`)."""
    if kind == "opensearch":
        return list(node_names(count))
    if count == 1 and kind != "kafka":
        return [kind]
    return [f"{kind}-{n}" for n in range(1, count + 1)]


def hosts_with(profile: SiteProfile, role: Role) -> list[Host]:
    return [host for host in profile.hosts if role in host.roles]


def _spread(kind: Kind, count: int, hosts: list[Host]) -> dict[str, list[Instance]]:
    spread: dict[str, list[Instance]] = {host.name: [] for host in hosts}
    if not hosts:
        return spread
    for position, name in enumerate(instance_names(kind, count)):
        spread[hosts[position % len(hosts)].name].append(Instance(kind, position + 1, name))
    return spread


def _single(kind: Kind) -> Instance:
    return Instance(kind, 1, kind)


def sensor_services(profile: SiteProfile, host: Host) -> list[Instance]:
    """A sensor host: Zeek (live capture), the enabled inputs, and the shipper that sends their logs to
    Kafka (the shipper part wires it)."""
    kinds: list[Kind] = []
    if profile.sensor.mode == "live":
        kinds.append("zeek")
    if profile.inputs.syslog.enabled:
        kinds.append("syslog")
    if profile.inputs.netflow.enabled:
        kinds.append("netflow")
    kinds.append("shipper")
    return [_single(kind) for kind in kinds]


def hub_services(profile: SiteProfile, host: Host) -> list[Instance]:
    """A hub: its share of the Kafka brokers and correlator replicas; MISP and the feed server on the
    first hub."""
    hubs = hosts_with(profile, "hub")
    counts = scale_counts(profile)
    placed = _spread("kafka", counts.kafka_brokers, hubs)[host.name]
    if counts.correlator_replicas:
        placed += _spread("correlator", counts.correlator_replicas, hubs)[host.name]
    if hubs and hubs[0].name == host.name:
        if profile.runs_local_misp:
            placed += [_single(kind) for kind in MISP_KINDS]
        if profile.intel.local_feed_dir is not None:
            placed.append(_single("feedserver"))
    return placed


def storage_services(profile: SiteProfile, host: Host) -> list[Instance]:
    """A storage host: its share of the OpenSearch nodes; Dashboards on the first storage host."""
    if not profile.opensearch.enabled:
        return []
    stores = hosts_with(profile, "storage")
    placed = _spread("opensearch", scale_counts(profile).opensearch_nodes, stores)[host.name]
    if profile.opensearch.dashboards.enabled and stores and stores[0].name == host.name:
        placed.append(_single("dashboards"))
    return placed


ROLE_SERVICES = {"sensor": sensor_services, "hub": hub_services, "storage": storage_services}


def host_instances(profile: SiteProfile, host: Host) -> list[Instance]:
    """Every service instance `host` runs (the union of its roles'), in role order."""
    placed: list[Instance] = []
    for role in ("sensor", "hub", "storage"):
        if role in host.roles:
            placed += [i for i in ROLE_SERVICES[role](profile, host) if i not in placed]
    return placed


def placement(profile: SiteProfile) -> dict[str, list[str]]:
    """{host name: [compose service names]} for a distributed profile; {} for a single-host one."""
    if profile.site.topology != "distributed":
        return {}
    return {host.name: [i.name for i in host_instances(profile, host)] for host in profile.hosts}


def host_named(profile: SiteProfile, name: str) -> Host | None:
    return next((host for host in profile.hosts if host.name == name), None)
