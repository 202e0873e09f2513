"""The OpenSearch cluster a profile asks for (`opensearch.nodes`, `shards`, `replicas`): node names, the
cluster-manager-eligible set, the replica count, the compose services. Pure: no I/O, no rendering.

Node names are compose service names, `node.name`, the certificates' host names and the DNS names the nodes
and clients reach each other by: `opensearch` (the first node: a single-node site is unchanged, and every
`minisoc` command that names the service keeps working), then `opensearch-2` ... `opensearch-N`.
"""

from __future__ import annotations

from collections.abc import Sequence

from minisoc.profile.model import OpenSearch, SiteProfile

FIRST_NODE = "opensearch"
MAX_MANAGERS = 3  # an odd quorum: 3 eligible managers survive the loss of one; more only slows elections


def node_names(count: int) -> tuple[str, ...]:
    """`opensearch`, `opensearch-2`, ... `opensearch-<count>`."""
    if count < 1:
        raise ValueError(f"an OpenSearch cluster has at least one node, not {count}")
    return (FIRST_NODE, *(f"{FIRST_NODE}-{number}" for number in range(2, count + 1)))


def manager_nodes(names: Sequence[str]) -> tuple[str, ...]:
    """The cluster-manager-eligible nodes: every node up to 3, else the first 3 (the others are data only)."""
    return tuple(names[:MAX_MANAGERS])


def replicas(settings: OpenSearch) -> int:
    """`opensearch.replicas` when set, else 0 for one node and 1 for a cluster."""
    if settings.replicas is not None:
        return settings.replicas
    return 0 if settings.nodes == 1 else 1


def opensearch_services(profile: SiteProfile) -> tuple[str, ...]:
    """The OpenSearch node services of the profile (none when OpenSearch is off)."""
    return node_names(profile.opensearch.nodes) if profile.opensearch.enabled else ()


def compose_services(profile: SiteProfile) -> tuple[str, ...]:
    """The compose services the site runs: `enabled_services()` with `opensearch` expanded into its nodes."""
    services: list[str] = []
    for service in profile.enabled_services():
        services += opensearch_services(profile) if service == FIRST_NODE else [service]
    return tuple(services)


def node_cert_name(node: str, base: str = "opensearch-node") -> str:
    """The PKI file stem of a node's certificate: `opensearch-node` for `opensearch` (as single-node sites
    always had), `opensearch-node-2` for `opensearch-2`."""
    return base + node.removeprefix(FIRST_NODE)
