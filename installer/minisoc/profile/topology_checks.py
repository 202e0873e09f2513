"""Cross-field rules of `site.topology` and `hosts:` (docs/topology.md), each a Problem with a dotted path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from minisoc.errors import Problem
from minisoc.profile.model import SiteProfile
from minisoc.profile.placement import host_instances, hosts_with
from minisoc.profile.topology import ROLES

PUBLISHING_KINDS = frozenset({"opensearch", "kafka"})  # what other hosts reach on a published port
_ROLE_RUNS = {
    "sensor": "Zeek, the syslog and flow receivers and the shipper",
    "hub": "Kafka and the correlators",
    "storage": "OpenSearch",
}


def check_topology(profile: SiteProfile) -> Iterator[Problem]:
    if profile.site.topology == "single":
        yield from _single(profile)
    else:
        yield from _distributed(profile)


def _single(profile: SiteProfile) -> Iterator[Problem]:
    if profile.hosts:
        yield Problem(
            "hosts",
            f"{len(profile.hosts)} host(s) listed, but site.topology is single (everything on this host)",
            "set site.topology: distributed to render one bundle per host, or remove hosts:",
        )
    if "host_links" in profile.site.model_fields_set and profile.site.host_links != "ports":
        yield Problem(
            "site.host_links",
            "links between hosts are for site.topology: distributed",
            "remove site.host_links, or set site.topology: distributed",
        )
    if profile.correlator.replicas > 1:
        yield Problem(
            "correlator.replicas",
            f"{profile.correlator.replicas} replicas share their work through Kafka, which only a "
            "distributed site runs",
            "set correlator.replicas: 1, or site.topology: distributed with a hub host",
        )


def _distributed(profile: SiteProfile) -> Iterator[Problem]:
    if not profile.hosts:
        yield Problem(
            "hosts",
            "site.topology: distributed needs the list of hosts",
            "add hosts: with a name, an address and roles for each (see templates/distributed.yaml)",
        )
        return
    yield from _unique(profile)
    for index, host in enumerate(profile.hosts):
        for role, times in Counter(host.roles).items():
            if times > 1:
                yield Problem(
                    f"hosts.{index}.roles", f"{role} is listed {times} times", "list each role once"
                )
    for role in ROLES:
        if not hosts_with(profile, role):
            yield Problem(
                "hosts",
                f"no host has the {role} role (it runs {_ROLE_RUNS[role]})",
                f"add {role} to the roles of a host",
            )
    if not profile.opensearch.enabled:
        yield Problem(
            "opensearch.enabled",
            "a distributed site stores its alerts and logs in OpenSearch on the storage hosts",
            "set opensearch.enabled: true",
        )
    if not profile.correlator.enabled:
        yield Problem(
            "correlator.enabled",
            "a distributed site correlates on its hub hosts",
            "set correlator.enabled: true",
        )
    if profile.sensor.log_dir.is_absolute():
        yield Problem(
            "sensor.log_dir",
            "each sensor host keeps its logs inside its own bundle (hosts/<name>/)",
            "use a path relative to the bundle, e.g. logs/zeek",
        )
    if profile.site.host_links == "ports":
        yield from _one_instance_per_port(profile)
        if not profile.security.tls.enabled:
            yield Problem(
                "security.tls.enabled",
                "the hosts reach OpenSearch and Kafka across the network: without TLS that is in clear, "
                "without a login",
                "set security.tls.enabled: true (or site.host_links: docker-network on one machine)",
            )


def _unique(profile: SiteProfile) -> Iterator[Problem]:
    names: set[str] = set()
    addresses: set[str] = set()
    for index, host in enumerate(profile.hosts):
        if host.name in names:
            yield Problem(
                f"hosts.{index}.name", f"host name {host.name!r} is used twice", "name each host once"
            )
        names.add(host.name)
        if host.address.lower() in addresses:
            yield Problem(
                f"hosts.{index}.address",
                f"address {host.address!r} is given to two hosts",
                "give each host its own address, or list the machine once with several roles",
            )
        addresses.add(host.address.lower())


def _one_instance_per_port(profile: SiteProfile) -> Iterator[Problem]:
    """With published ports, two nodes or brokers on one host would publish the same port (correlator
    replicas publish none but the first's)."""
    for index, host in enumerate(profile.hosts):
        kinds = Counter(instance.kind for instance in host_instances(profile, host))
        for kind, times in sorted(kinds.items()):
            if times > 1 and kind in PUBLISHING_KINDS:
                yield Problem(
                    f"hosts.{index}",
                    f"{host.name} would run {times} {kind} instances, which publish the same ports",
                    f"add hosts with the role that runs {kind}, lower its count, or set "
                    "site.host_links: docker-network (all hosts on one Docker engine)",
                )
