"""The live sensor as a Zeek cluster (`sensor.workers` > 1) under Zeek's own Supervisor (`zeek -j`).

One container of the official zeek/zeek image runs the supervisor in the foreground; it creates a manager, a
logger, a proxy and `workers` workers (Supervisor::NodeConfig with a `cluster` table of
Supervisor::ClusterEndpoint), restarts any that dies, and stops them all on SIGTERM. Zeekctl is not used: it
wants ssh, cron and its own spool/log tree, the supervisor is made to be a foreground service. The upstream
facts this relies on are recorded, with their sources, in tests/data/zeek8-cluster.json.

- Workers capture on `af_packet::<interface>` in the site's fanout group (local.zeek: AF_Packet::fanout_id).
- Broker listens on 127.0.0.1 only (the container shares the host's network): one port per node, a block
  from `sensor.cluster_port`, else from a hash of the project like the fanout id (profile/sensor_cluster.py).
- The logger works in the log folder: one set of logs (conn.log...), rotated hourly by Zeek into `log-queue/`
  under zeek-archiver's names (conn__<open>__<close>__.log), which the correlator recognises. The other nodes
  work in folders under /tmp, as does the supervisor itself (they log nothing there: every node sends its
  logs to the logger; whatever the supervisor process writes stays out of the log folder).
- Intel: every node loads local.zeek, and Zeek reads Intel::read_files on the manager only, which sends the
  items to the workers (base/frameworks/intel/input.zeek).
"""

from __future__ import annotations

from dataclasses import dataclass

from minisoc.profile.sensor_cluster import SERVICE_NODES

NODE_ROLES = {"manager": "MANAGER", "logger": "LOGGER", "proxy": "PROXY"}  # Supervisor::ClusterRole
LOOPBACK = "127.0.0.1"
SUPERVISOR_DIR = "/tmp"  # noqa: S108 - the container's own tmpfs: the supervisor's working directory
# + node name: the working folders of the nodes but the logger, one level below (the supervisor creates a
# node's folder; upstream's tests show no more than one level)
NODE_DIR_PREFIX = f"{SUPERVISOR_DIR}/zeek-"


@dataclass(frozen=True)
class ClusterNode:
    name: str  # worker-1..N, manager, logger, proxy (Cluster::node and the CLUSTER_NODE variable)
    role: str  # Supervisor::ClusterRole
    port: int  # its Broker port on 127.0.0.1
    interface: str | None = None  # workers only: af_packet::<iface>
    directory: str | None = None  # working folder (None: the supervisor's, i.e. the log folder)


def cluster_nodes(workers: int, interface: str, base: int, logs_dir: str) -> list[ClusterNode]:
    """Manager, logger, proxy, then worker-1..N, with consecutive ports from `base`."""
    nodes = [
        ClusterNode(name, NODE_ROLES[name], base + index,
                    directory=logs_dir if name == "logger" else f"{NODE_DIR_PREFIX}{name}")
        for index, name in enumerate(SERVICE_NODES)
    ]
    first = base + len(SERVICE_NODES)
    nodes += [
        ClusterNode(f"worker-{n}", "WORKER", first + n - 1, f"af_packet::{interface}",
                    f"{NODE_DIR_PREFIX}worker-{n}")
        for n in range(1, workers + 1)
    ]
    return nodes


def supervisor_command(binary: str, cluster_script: str) -> list[str]:
    """`zeek -C -j <script>` in the foreground (PID 1). The nodes inherit -C (checksums ignored: NIC offload
    makes captured ones wrong) and the script; each node then loads the site's local.zeek."""
    return [binary, "-C", "-j", cluster_script]


def healthcheck_script(nodes: list[ClusterNode]) -> str:
    """Healthy when every node runs: each node's process has CLUSTER_NODE=<name> in its environment (set by
    the supervisor). `$$`: compose's escape for a literal `$`."""
    names = " ".join(node.name for node in nodes)
    return (
        f"for n in {names}; do "
        'grep -qxz "CLUSTER_NODE=$$n" /proc/[0-9]*/environ 2>/dev/null || '
        '{ echo "zeek node $$n is not running"; exit 1; }; done'
    )
