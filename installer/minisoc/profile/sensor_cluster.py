"""The live sensor as a Zeek cluster (`sensor.workers` > 1): the facts the profile checks, `doctor`, `plan`,
the resource limits and the render share: how many nodes, which Broker ports, how many CPU cores.

A cluster is a manager, a logger, a proxy and `workers` workers, each listening with Broker on one port of
127.0.0.1 (the sensor shares the host's network). The block of ports starts at `sensor.cluster_port`, else at
a base derived from the compose project (as the AF_PACKET fanout group is), so two sites on one host differ.
"""

from __future__ import annotations

import hashlib

from minisoc.profile.model import SiteProfile

SERVICE_NODES = ("manager", "logger", "proxy")  # one each: Zeek's default scripts make little use of proxies
MAX_WORKERS = 64  # sensor.workers' upper bound in the model
# Derived blocks: below Linux's ephemeral port range (32768-60999) so no outgoing connection holds one
CLUSTER_PORT_MIN, CLUSTER_PORT_MAX = 20000, 32767
# One core per worker plus what the manager, logger and proxy share (Zeek's cluster-setup docs: run one or
# two workers fewer than the machine has cores)
SERVICE_CORES = 2


def cluster_workers(profile: SiteProfile) -> int:
    """Workers of the live sensor's Zeek cluster; 0 when the sensor is one standalone Zeek (or none)."""
    sensor = profile.sensor
    return sensor.workers if sensor.mode == "live" and sensor.workers > 1 else 0


def cluster_size(workers: int) -> int:
    """Nodes (= Broker ports) of a cluster with `workers` workers."""
    return len(SERVICE_NODES) + workers


def default_cluster_port(project_name: str) -> int:
    """The first port of this site's block, stable for its compose project. Blocks are aligned to the largest
    cluster the model allows: two sites' derived blocks are the same (1 pair in ~190: `doctor` sees it when
    the other site runs; set sensor.cluster_port) or do not overlap at all."""
    size = cluster_size(MAX_WORKERS)
    blocks = (CLUSTER_PORT_MAX - CLUSTER_PORT_MIN + 1) // size
    digest = hashlib.sha256(f"zeek-cluster:{project_name}".encode()).digest()
    return CLUSTER_PORT_MIN + int.from_bytes(digest[:4], "big") % blocks * size


def cluster_ports(profile: SiteProfile) -> range:
    """The cluster's Broker ports on 127.0.0.1 (manager, logger, proxy, worker-1..N); empty without one."""
    workers = cluster_workers(profile)
    if not workers:
        return range(0)
    configured = profile.sensor.cluster_port
    base = configured if configured is not None else default_cluster_port(profile.project_name)
    return range(base, base + cluster_size(workers))


def zeek_cores(profile: SiteProfile) -> int:
    """CPU cores the sensor's Zeek wants: 1 standalone, workers + SERVICE_CORES as a cluster."""
    workers = cluster_workers(profile)
    return workers + SERVICE_CORES if workers else 1
