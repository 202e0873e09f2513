"""Memory and CPU limits per service: built-in defaults, the OpenSearch heap rule, and profile overrides."""

from __future__ import annotations

from minisoc.profile.model import ServiceName, SiteProfile
from minisoc.profile.sensor_cluster import cluster_workers, zeek_cores

DEFAULT_MEMORY_MB: dict[ServiceName, int] = {
    "zeek": 1024,
    "misp-core": 1536,
    "misp-modules": 512,
    "misp-db": 768,
    "misp-cache": 256,
    "opensearch": 0,  # 2 x heap, computed
    "dashboards": 768,
    "correlator": 512,
    "feedserver": 64,
    "syslog": 128,
    "netflow": 128,
}
DEFAULT_CPUS: dict[ServiceName, float] = {
    "zeek": 1.0,
    "misp-core": 1.0,
    "misp-modules": 0.5,
    "misp-db": 0.5,
    "misp-cache": 0.25,
    "opensearch": 1.0,
    "dashboards": 0.5,
    "correlator": 1.0,
    "feedserver": 0.25,
    "syslog": 0.5,
    "netflow": 0.5,
}

# Memory of a Zeek cluster's worker (connection state, its copy of the intel items), on top of the standalone
# Zeek's default that the manager, logger and proxy share (profile/sensor_cluster.py)
ZEEK_WORKER_MEMORY_MB = 768


def _default_memory_mb(profile: SiteProfile, service: ServiceName) -> int:
    if service == "opensearch":
        return 2 * profile.opensearch.heap_mb
    if service == "zeek":
        return DEFAULT_MEMORY_MB["zeek"] + ZEEK_WORKER_MEMORY_MB * cluster_workers(profile)
    return DEFAULT_MEMORY_MB[service]


def memory_limits_mb(profile: SiteProfile) -> dict[ServiceName, int]:
    """The memory limit of every enabled service."""
    limits: dict[ServiceName, int] = {}
    for service in profile.enabled_services():
        override = profile.resources.limits.get(service)
        if override is not None and override.memory_mb is not None:
            limits[service] = override.memory_mb
        else:
            limits[service] = _default_memory_mb(profile, service)
    return limits


def cpu_limits(profile: SiteProfile) -> dict[ServiceName, float]:
    """The CPU limit of every enabled service."""
    limits: dict[ServiceName, float] = {}
    for service in profile.enabled_services():
        override = profile.resources.limits.get(service)
        chosen = override.cpus if override is not None else None
        if chosen is None:
            chosen = float(zeek_cores(profile)) if service == "zeek" else DEFAULT_CPUS[service]
        limits[service] = chosen
    return limits


def total_memory_mb(profile: SiteProfile) -> int:
    """What every container of the site may use together: each OpenSearch node counts its own limit."""
    limits = memory_limits_mb(profile)
    extra_nodes = profile.opensearch.nodes - 1 if "opensearch" in limits else 0
    return sum(limits.values()) + extra_nodes * limits.get("opensearch", 0)
