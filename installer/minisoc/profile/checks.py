"""Cross-field rules of the site profile: each returns Problems (dotted path, what is wrong, how to fix)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from minisoc.errors import Problem
from minisoc.profile.model import SiteProfile
from minisoc.profile.opensearch_cluster import replicas
from minisoc.profile.ports import EXPOSE_INSTEAD, PLAIN_HTTP, TLS_FROM_PROFILE, published_ports
from minisoc.profile.resources import memory_limits_mb, total_memory_mb
from minisoc.profile.sensor_cluster import cluster_ports
from minisoc.profile.topology_checks import check_topology
from minisoc.security.cert_specs import extra_name_problem

_WILDCARDS = frozenset({"0.0.0.0", "::"})  # noqa: S104 - recognised here, never bound by default
Check = Callable[[SiteProfile], Iterator[Problem]]



def check_sensor(profile: SiteProfile) -> Iterator[Problem]:
    sensor = profile.sensor
    if sensor.mode == "live" and sensor.interface is None:
        yield Problem(
            "sensor.interface",
            "live capture needs an interface",
            "set sensor.interface (e.g. eth0), or sensor.mode: external",
        )
    if sensor.workers > 1 and sensor.mode != "live":
        yield Problem(
            "sensor.workers",
            f"{sensor.workers} workers need live capture (AF_PACKET fanout), not sensor.mode: {sensor.mode}",
            "set sensor.workers: 1, or sensor.mode: live with sensor.interface",
        )
    if sensor.log_dir.is_absolute() and sensor.mode != "external":
        yield Problem(
            "sensor.log_dir",
            f"an absolute path ({sensor.log_dir}) is allowed only in external mode",
            "use a path relative to SITE_DIR, e.g. logs/zeek",
        )


def check_retention(profile: SiteProfile) -> Iterator[Problem]:
    """The retro-hunt reads the log folder back `intel.retro_hunt_days`: the correlator must not have deleted
    those rotated logs already (it prunes them after `sensor.retention_days` in live mode)."""
    sensor, hunt_days = profile.sensor, profile.intel.retro_hunt_days
    if sensor.mode == "live" and sensor.retention_days < hunt_days:
        yield Problem(
            "sensor.retention_days",
            f"{sensor.retention_days} days is shorter than intel.retro_hunt_days ({hunt_days}): the "
            "retro-hunt would miss the logs deleted before",
            f"set sensor.retention_days to at least {hunt_days}, or lower intel.retro_hunt_days",
        )


def check_services(profile: SiteProfile) -> Iterator[Problem]:
    if profile.opensearch.dashboards.enabled and not profile.opensearch.enabled:
        yield Problem(
            "opensearch.dashboards.enabled",
            "Dashboards needs OpenSearch, which is disabled",
            "set opensearch.dashboards.enabled: false, or opensearch.enabled: true",
        )
    if profile.correlator.index_logs and profile.correlator.enabled and not profile.opensearch.enabled:
        yield Problem(
            "correlator.index_logs",
            "indexing Zeek logs needs OpenSearch, which is disabled",
            "set correlator.index_logs: false, or opensearch.enabled: true",
        )
    misp = profile.intel.misp
    if misp.ca_file is not None and misp.url is None:
        yield Problem(
            "intel.misp.ca_file",
            "a CA file is for an external MISP (intel.misp.url), which is not set",
            "remove intel.misp.ca_file; the local MISP is reached on the stack's own network",
        )
    elif misp.ca_file is not None and not misp.verify_tls:
        yield Problem(
            "intel.misp.ca_file",
            "a CA file with verify_tls: false would not be used",
            "set intel.misp.verify_tls: true (recommended), or remove intel.misp.ca_file",
        )
    if misp.sync_servers and (not misp.enabled or misp.url is not None):
        yield Problem(
            "intel.misp.sync_servers",
            "sync servers are configured in the local MISP, which this profile does not run",
            "remove intel.misp.sync_servers, or run MISP in the stack (intel.misp.enabled: true, no url)",
        )
    names = [feed.name for feed in profile.intel.feeds]
    for index, name in enumerate(names):
        if name in names[:index]:
            yield Problem(
                f"intel.feeds.{index}.name",
                f"feed name {name!r} is used twice",
                "give every feed a distinct name",
            )


def check_opensearch_cluster(profile: SiteProfile) -> Iterator[Problem]:
    """Replicas a cluster can place: at least 1 with 2+ nodes (a stopped node must not take data with it),
    at most nodes - 1 (a replica never shares a node with its primary: more stay unassigned, yellow
    forever); and a host port for every node."""
    settings = profile.opensearch
    if not settings.enabled:
        return
    chosen = replicas(settings)
    if settings.nodes >= 2 and chosen == 0:
        yield Problem(
            "opensearch.replicas",
            f"0 replicas on a {settings.nodes}-node cluster: every node that stops takes its shards with it "
            "(the cluster goes red, writes to those shards fail)",
            "set opensearch.replicas: 1 (or leave it unset), or opensearch.nodes: 1",
        )
    elif chosen >= settings.nodes:
        yield Problem(
            "opensearch.replicas",
            f"{chosen} replica(s) need {chosen + 1} nodes, the profile has {settings.nodes}: the extra "
            "copies stay unassigned and the cluster yellow",
            f"set opensearch.replicas to at most {settings.nodes - 1}, or raise opensearch.nodes",
        )
    binding = profile.ports.opensearch
    if binding is not None and binding.port + settings.nodes - 1 > 65535:
        yield Problem(
            "ports.opensearch.port",
            f"node {settings.nodes} would be published on port {binding.port + settings.nodes - 1}",
            "choose a lower ports.opensearch.port: node N is published on port + N - 1",
        )


def check_memory(profile: SiteProfile) -> Iterator[Problem]:
    budget = profile.resources.ram_budget_mb
    nodes = profile.opensearch.nodes
    heap_total = profile.opensearch.heap_mb * nodes
    if profile.opensearch.enabled and heap_total > budget // 2:
        each = f" ({nodes} nodes x {profile.opensearch.heap_mb} MB)" if nodes > 1 else ""
        yield Problem(
            "opensearch.heap_mb",
            f"{heap_total} MB{each} is more than half the RAM budget ({budget} MB)",
            f"lower opensearch.heap_mb to at most {budget // 2 // nodes}, or raise resources.ram_budget_mb",
        )
    limits = memory_limits_mb(profile)
    opensearch_limit = limits.get("opensearch")
    if opensearch_limit is not None and profile.opensearch.heap_mb > opensearch_limit * 3 // 4:
        yield Problem(
            "resources.limits.opensearch.memory_mb",
            f"{opensearch_limit} MB leaves no room beside a {profile.opensearch.heap_mb} MB heap",
            "give OpenSearch at least 4/3 of its heap, or leave its limit unset (2x heap)",
        )
    total = total_memory_mb(profile)
    if total > budget:
        per_node = f" x {nodes} nodes" if nodes > 1 else ""
        detail = ", ".join(f"{name} {mb}" + (per_node if name == "opensearch" else "")
                           for name, mb in sorted(limits.items()))
        yield Problem(
            "resources.ram_budget_mb",
            f"the enabled services need {total} MB ({detail}), more than the budget of {budget} MB",
            f"raise resources.ram_budget_mb to at least {total}, lower opensearch.heap_mb, "
            "or switch services off",
        )


def check_ports(profile: SiteProfile) -> Iterator[Problem]:
    seen: dict[int, tuple[str, str]] = {}
    for published in published_ports(profile):
        key, binding = published.key, published.binding
        address = binding.host_address
        previous = seen.get(binding.port)
        if previous is not None and _addresses_overlap(previous[1], address):
            yield Problem(
                f"ports.{key}.port",
                f"host port {binding.port} is already used by ports.{previous[0]}",
                "give each service its own host port",
            )
        else:
            seen[binding.port] = (key, address)
        if not binding.expose and published.reachable_from_network:
            yield Problem(
                f"ports.{key}.bind",
                f"binding {binding.bind} exposes the port to the network",
                "set expose: true to say so explicitly, or bind 127.0.0.1",
            )


def check_zeek_cluster_ports(profile: SiteProfile) -> Iterator[Problem]:
    """The Zeek cluster's Broker ports (127.0.0.1, host network) stay clear of the site's published ports."""
    ports = cluster_ports(profile)
    if not ports:
        return
    for published in published_ports(profile):
        port = published.binding.port
        if port in ports and published.protocol == "tcp" and _addresses_overlap(
            published.binding.host_address, "127.0.0.1"
        ):
            yield Problem(
                "sensor.cluster_port",
                f"the Zeek cluster's Broker ports {ports[0]}-{ports[-1]} (127.0.0.1) include "
                f"ports.{published.key} ({port})",
                f"set sensor.cluster_port outside it (e.g. {port + 1}), or change ports.{published.key}.port",
            )


def check_exposure(profile: SiteProfile) -> Iterator[Problem]:
    """A port reachable from the network is served over TLS with a login, or it is refused."""
    for published in published_ports(profile):
        if not published.binding.expose:
            continue  # a non-loopback bind without expose is check_ports' problem
        key = published.key
        if key in PLAIN_HTTP:
            yield Problem(
                f"ports.{key}.expose",
                f"{PLAIN_HTTP[key]}, so it cannot be exposed",
                EXPOSE_INSTEAD.get(
                    key,
                    f"keep ports.{key} on 127.0.0.1 and reach it through an SSH tunnel or a TLS reverse "
                    "proxy with a login",
                ),
            )
        elif key in TLS_FROM_PROFILE and not profile.security.tls.enabled:
            yield Problem(
                f"ports.{key}.expose",
                "with security.tls.enabled false it is served over plain HTTP without a login",
                "set security.tls.enabled: true, or drop expose",
            )


def check_tls(profile: SiteProfile) -> Iterator[Problem]:
    """Extra certificate names are checked here, not at render time: a render must not fail half-way."""
    for index, name in enumerate(profile.security.tls.extra_names):
        problem = extra_name_problem(name)
        if problem:
            yield Problem(
                f"security.tls.extra_names.{index}",
                problem,
                "use a host name (letters, digits, '-', dots; '*.' first for a wildcard) or an IP address",
            )


def _addresses_overlap(first: str, second: str) -> bool:
    return first == second or first in _WILDCARDS or second in _WILDCARDS


PROFILE_CHECKS: tuple[Check, ...] = (
    check_sensor, check_retention, check_services, check_opensearch_cluster, check_memory, check_ports,
    check_zeek_cluster_ports, check_exposure, check_tls, check_topology,
)


def run_checks(profile: SiteProfile) -> list[Problem]:
    """Every cross-field problem of a schema-valid profile."""
    return [problem for check in PROFILE_CHECKS for problem in check(profile)]


def check_paths_inside(profile: SiteProfile, site_dir: Path) -> list[Problem]:
    """Relative paths that exist must not lead out of SITE_DIR through a symlink."""
    root = site_dir.resolve()
    named: list[tuple[str, str]] = []
    if not profile.sensor.log_dir.is_absolute():
        named.append(("sensor.log_dir", str(profile.sensor.log_dir)))
    if profile.intel.local_feed_dir is not None:
        named.append(("intel.local_feed_dir", str(profile.intel.local_feed_dir)))
    named += [(f"intel.intel_files.{i}", str(p)) for i, p in enumerate(profile.intel.intel_files)]
    named += [(f"intel.warninglists.{i}", str(p)) for i, p in enumerate(profile.intel.warninglists)]
    if profile.intel.misp.ca_file is not None:
        named.append(("intel.misp.ca_file", str(profile.intel.misp.ca_file)))
    problems = []
    for dotted, relative in named:
        resolved = (root / relative).resolve()
        if not resolved.is_relative_to(root):
            problems.append(
                Problem(
                    dotted,
                    f"{relative} leads outside SITE_DIR (through a symlink)",
                    "use a real folder inside SITE_DIR",
                )
            )
    return problems
