"""The per-node part of an OpenSearch cluster's rendering, as pure functions of the nodes alone (no profile):
the `opensearch.yml` settings that differ per node and what each node's compose service mounts and publishes.

`minisoc render` calls them with every node on this host's compose network (`local_nodes`); a topology that
spreads nodes over storage hosts calls them with each node's `publish_host` (the address the other nodes reach
it at) and the transport/HTTP ports published on that host, and renders each host's nodes there:

    nodes = (NodeSpec("opensearch", manager=True, publish_host="10.0.0.5"), ...)
    node_settings(nodes[0], nodes)          # -> the discovery part of that node's opensearch.yml

Everything else in `opensearch.yml` (cluster name, TLS, the security plugin) is the same on every node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from minisoc.profile.opensearch_cluster import FIRST_NODE, manager_nodes, node_cert_name

HTTP_PORT = 9200
TRANSPORT_PORT = 9300
CONFIG_DIR = PurePosixPath("config/opensearch")  # relative to SITE_DIR


@dataclass(frozen=True)
class NodeSpec:
    """One OpenSearch node: its name (compose service, `node.name`, the host name in its certificate), whether
    it is cluster-manager-eligible, and where the other nodes reach it (None: by its name, on one network)."""

    name: str
    manager: bool = True
    publish_host: str | None = None  # network.publish_host: an address of the host the node runs on
    transport_port: int = TRANSPORT_PORT  # transport.publish_port: the port published on that host
    http_port: int = HTTP_PORT  # http.publish_port

    @property
    def transport_address(self) -> str:
        return f"{self.publish_host or self.name}:{self.transport_port}"

    @property
    def http_host(self) -> str:
        return f"{self.publish_host or self.name}:{self.http_port}"


def local_nodes(names: Sequence[str]) -> tuple[NodeSpec, ...]:
    """Every node on one compose network (a single host), reached by its service name."""
    managers = set(manager_nodes(names))
    return tuple(NodeSpec(name, manager=name in managers) for name in names)


def node_settings(node: NodeSpec, nodes: Sequence[NodeSpec]) -> dict[str, Any]:
    """The `opensearch.yml` entries of `node` in a cluster of `nodes` (itself included): name, roles,
    discovery (seed hosts: every cluster-manager-eligible node; the initial cluster-manager set, by node
    name, used only at the cluster's very first start), and the published address when it has one.

    A cluster of one node gets `discovery.type: single-node` (no bootstrap, no seed hosts).
    """
    if len(nodes) == 1:
        return {"node.name": node.name, "discovery.type": "single-node"}
    managers = [other for other in nodes if other.manager]
    if not managers:
        raise ValueError("an OpenSearch cluster needs at least one cluster-manager-eligible node")
    settings: dict[str, Any] = {
        "node.name": node.name,
        "node.roles": ["cluster_manager", "data", "ingest"] if node.manager else ["data", "ingest"],
        "discovery.seed_hosts": [other.transport_address for other in managers],
        "cluster.initial_cluster_manager_nodes": [other.name for other in managers],
    }
    if node.publish_host is not None:
        settings["network.publish_host"] = node.publish_host
    if node.transport_port != TRANSPORT_PORT:
        settings["transport.publish_port"] = node.transport_port
    if node.http_port != HTTP_PORT:
        settings["http.publish_port"] = node.http_port
    return settings


def node_urls(nodes: Sequence[NodeSpec], scheme: str) -> list[str]:
    """Every node's HTTP URL (the correlator's and Dashboards' hosts list), in node order."""
    return [f"{scheme}://{node.http_host}" for node in nodes]


def config_file(node: str) -> PurePosixPath:
    """SITE_DIR-relative opensearch.yml of a node: `config/opensearch/opensearch.yml` for the first node (as
    single-node sites always had), `config/opensearch/opensearch-2.yml` for `opensearch-2`."""
    return CONFIG_DIR / f"{node}.yml"


def data_volume(node: str) -> str:
    """The node's data volume: `opensearch-data` for the first node (kept from single-node sites)."""
    return f"{node}-data"


def node_context(node: NodeSpec, nodes: Sequence[NodeSpec], *, host_port: int | None,
                 host_ip: str | None, cert_mounts: Sequence[dict[str, str]],
                 transport_host_port: int | None = None) -> dict[str, Any]:
    """What stacks/opensearch/compose.yaml.j2 and opensearch.yml.j2 need of one node. `host_port`: where
    its HTTP port (9200) is published on `host_ip`; `transport_host_port`: where its transport port (9300)
    is, for nodes on other hosts (None on one host: the nodes talk over the compose network)."""
    return {
        "transport_port": (None if transport_host_port is None
                           else {"port": transport_host_port, "host_ip": host_ip or "0.0.0.0"}),  # noqa: S104
        "name": node.name,
        "single": len(nodes) == 1,
        "settings": node_settings(node, nodes),
        "config": f"./{config_file(node.name)}",
        "volume": data_volume(node.name),
        "port": None if host_port is None else {"port": host_port, "host_ip": host_ip},
        "mounts": list(cert_mounts),
        "cert": node_cert_name(node.name),
        "first": node.name == FIRST_NODE,
    }
