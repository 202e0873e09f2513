"""Values the Zeek sensor's templates need beyond the profile's own: intel expiry, the AF_PACKET group and
the live sensor's command (one Zeek, or a Zeek cluster under Zeek's supervisor: render/zeek_cluster.py)."""

from __future__ import annotations

import hashlib
from typing import Any

from minisoc.correlator.export import ZEEK_ITEM_EXPIRATION_S
from minisoc.profile.model import SiteProfile
from minisoc.profile.sensor_cluster import cluster_ports
from minisoc.render.zeek_cluster import (
    LOOPBACK,
    SUPERVISOR_DIR,
    cluster_nodes,
    healthcheck_script,
    supervisor_command,
)

ZEEK_BINARY = "/usr/local/zeek/bin/zeek"  # the zeek/zeek image: no entrypoint, runs as root, zeek in here
LOCAL_ZEEK_FILE = "config/zeek/local.zeek"  # the site's scripts (SITE_DIR-relative), live and replay
REPLAY_HOLD_FILE = "config/zeek/replay-hold.zeek"  # loaded by `minisoc replay` only (stacks/zeek/)
CLUSTER_ZEEK_FILE = "config/zeek/cluster.zeek"  # the supervisor's script (sensor.workers > 1)
CLUSTER_ZEEK_TARGET = "/etc/minisoc/zeek/cluster.zeek"
LOCAL_ZEEK_TARGET = "/etc/minisoc/zeek/local.zeek"  # where the sensor and replay containers mount them
REPLAY_HOLD_TARGET = "/etc/minisoc/zeek/replay-hold.zeek"
LOGS_TARGET = "/logs/zeek"
# PACKET_FANOUT takes `fanout_id & 0xffff`; ids below 1024 stay free for hand-run sensors (Zeek's default: 23)
FANOUT_ID_MIN, FANOUT_ID_MAX = 1024, 0xFFFF


def fanout_id(project_name: str) -> int:
    """This site's AF_PACKET fanout group, stable for its compose project name.

    Sockets on one host that share a fanout id split the traffic between them: two sites' sensors on the same
    interface with Zeek's default id would each see part of it. A hash of the project (site name plus id)
    gives every site its own group."""
    digest = hashlib.sha256(project_name.encode("utf-8")).digest()
    return FANOUT_ID_MIN + int.from_bytes(digest[:4], "big") % (FANOUT_ID_MAX - FANOUT_ID_MIN + 1)


def live_command(interface: str) -> list[str]:
    """The one-worker live sensor's command in the zeek/zeek image (no entrypoint: the argv is the whole
    command): Zeek itself, PID 1 (it handles SIGTERM and closes its logs), in the site's fanout group (set in
    local.zeek). More workers: zeek_cluster.supervisor_command."""
    return [ZEEK_BINARY, "-C", "-i", f"af_packet::{interface}", LOCAL_ZEEK_TARGET]


def cluster_context(profile: SiteProfile) -> dict[str, Any] | None:
    """What cluster.zeek.j2 and the compose service need when the live sensor is a cluster, else None."""
    sensor, ports = profile.sensor, cluster_ports(profile)
    if not ports:
        return None
    nodes = cluster_nodes(sensor.workers, sensor.interface or "", ports[0], LOGS_TARGET)
    return {
        "workers": sensor.workers,
        "interface": f"af_packet::{sensor.interface}",
        "host": LOOPBACK,
        "first_port": ports[0],
        "last_port": ports[-1],
        "nodes": nodes,
        "script_file": CLUSTER_ZEEK_FILE,
        "script_target": CLUSTER_ZEEK_TARGET,
        # not the log folder: whatever the supervisor process itself might write stays out of the logger's
        "supervisor_dir": SUPERVISOR_DIR,
        "healthcheck": healthcheck_script(nodes),
    }


def zeek_context(profile: SiteProfile) -> dict[str, Any]:
    sensor = profile.sensor
    cluster = cluster_context(profile)
    if cluster is not None:
        command = supervisor_command(ZEEK_BINARY, CLUSTER_ZEEK_TARGET)
    else:
        command = live_command(sensor.interface or "") if sensor.mode == "live" else []
    return {
        "binary": ZEEK_BINARY,
        "command": command,
        "cluster": cluster,
        "local_zeek_target": LOCAL_ZEEK_TARGET,
        "logs_target": LOGS_TARGET,
        "fanout_id": fanout_id(profile.project_name),
        # the correlator rewrites its export more than twice within this (see correlator/export.py)
        "intel_item_expiration_s": ZEEK_ITEM_EXPIRATION_S,
    }
