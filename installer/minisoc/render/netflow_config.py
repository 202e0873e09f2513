"""The flow collector's settings (stacks/netflow): nfacctd.conf and the compose service read them from here.

One nfacctd socket takes NetFlow v5/v9 and IPFIX (each datagram's version field tells them apart), so compose
publishes both host ports (`ports.netflow`, `ports.ipfix`) onto the same container port.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import jinja2

from minisoc.profile.model import SiteProfile
from minisoc.render.correlator_config import input_dir_in_container
from minisoc.render.templating import render_template
from minisoc.site.layout import CONFIG_DIR_NAME, NETFLOW_LOG_DIR

NFACCTD_CONFIG_FILE = PurePosixPath(CONFIG_DIR_NAME) / "netflow" / "nfacctd.conf"
CONTAINER_PORT = 2055  # NetFlow v5/v9 and IPFIX alike
FLOW_DIR = input_dir_in_container(NETFLOW_LOG_DIR)  # /logs/netflow, where the correlator reads them too
PIDFILE = "/tmp/nfacctd.pid"  # noqa: S108 - the container's own tmpfs  # the healthcheck's: kill -0 $(cat /tmp/nfacctd.pid)
# v9/IPFIX templates kept across restarts, in a volume of their own: logs/netflow holds flow files only
TEMPLATES_DIR = "/var/lib/nfacctd"
TEMPLATES_FILE = f"{TEMPLATES_DIR}/templates.json"
SOCKET_BUFFER = 4 * 1024 * 1024  # SO_RCVBUF asked for; Linux caps it at net.core.rmem_max
REFRESH_S = 2  # the print plugin writes its cache every 2 s: a flow is on disk 2-4 s after it arrives
# Every primitive that tells two flows apart (pmacct sums the counters of records with equal keys)
AGGREGATE = (
    "peer_src_ip",
    "in_iface",
    "out_iface",
    "src_host",
    "dst_host",
    "src_port",
    "dst_port",
    "proto",
    "tos",
    "tcpflags",
    "timestamp_start",
    "timestamp_end",
)


def netflow_context(profile: SiteProfile) -> dict[str, Any]:
    return {
        "container_port": CONTAINER_PORT,
        "flow_dir": str(FLOW_DIR),
        "pidfile": PIDFILE,
        "templates_dir": TEMPLATES_DIR,
        "templates_file": TEMPLATES_FILE,
        "refresh_s": REFRESH_S,
        "aggregate": list(AGGREGATE),
        # pmacct's default (a prime: hash buckets), ~66 MB of the 128 MB limit
        "cache_entries": 16411,
        "pipe_size": 8 * 1024 * 1024,  # bytes queued core -> print plugin
        "socket_buffer": SOCKET_BUFFER,
        "retention_days": profile.inputs.netflow.retention_days,
    }


def nfacctd_conf(environment: jinja2.Environment, context: dict[str, Any]) -> str:
    return render_template(environment, "netflow/nfacctd.conf.j2", context)
