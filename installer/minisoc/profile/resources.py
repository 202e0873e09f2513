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
    "opensearch": 0,  # computed from the heap: jvm_memory_mb
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


# What a JVM needs beside its heap (direct buffers, metaspace, code cache, thread stacks): about the same at
# any heap size. At a 256 MB heap, under the indexing load of tests/e2e/test_e2e_distributed.py, an
# OpenSearch node (security plugin on, direct memory at half the heap) peaked at 574 MiB and a Kafka broker
# reached 634 MB of anonymous memory (dmesg) before its direct memory was bounded (kafka/cluster.py):
# both were OOM-killed at 2 x heap, the broker also at heap + 384.
JVM_OVERHEAD_MB = 512


def jvm_memory_mb(heap_mb: int) -> int:
    """The memory limit of a JVM service (an OpenSearch node, a Kafka broker): twice its heap, and never less
    than the heap plus JVM_OVERHEAD_MB (small heaps: 256 -> 768 MB; from 512 up simply twice)."""
    return max(2 * heap_mb, heap_mb + JVM_OVERHEAD_MB)


# The distributed site's own services (render/scaleout.py sets them; render/host_shares.py adds them up)
SHIPPER_LIMITS = {"memory_mb": 256, "cpus": 0.5}
TOPICS_JOB_LIMITS = {"memory_mb": 256, "cpus": 0.5}  # one-shot: done before the correlators start
KAFKA_CPUS = 1.0


def kafka_limits(profile: SiteProfile) -> dict[str, float]:
    """Each broker's memory (from its heap) and CPU limits."""
    return {"memory_mb": jvm_memory_mb(profile.kafka.heap_mb), "cpus": KAFKA_CPUS}


def _default_memory_mb(profile: SiteProfile, service: ServiceName) -> int:
    if service == "opensearch":
        return jvm_memory_mb(profile.opensearch.heap_mb)
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
