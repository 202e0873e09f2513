"""Values the Zeek sensor's templates need beyond the profile's own: intel expiry, the AF_PACKET group and
the live sensor's command (one Zeek, or `sensor.workers` Zeeks sharing the site's fanout group)."""

from __future__ import annotations

import hashlib
from typing import Any

from minisoc.correlator.export import ZEEK_ITEM_EXPIRATION_S
from minisoc.profile.model import SiteProfile

ZEEK_BINARY = "/usr/local/zeek/bin/zeek"  # the zeek/zeek image: no entrypoint, runs as root, zeek in here
LOCAL_ZEEK_FILE = "config/zeek/local.zeek"  # the site's scripts (SITE_DIR-relative), live and replay
REPLAY_HOLD_FILE = "config/zeek/replay-hold.zeek"  # loaded by `minisoc replay` only (stacks/zeek/)
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


def live_command(interface: str, workers: int, fanout: int) -> list[str]:
    """The live sensor's command in the zeek/zeek image (no entrypoint: the argv is the whole command).

    One worker: Zeek itself (PID 1, it handles SIGTERM and closes its logs). Several: without zeekctl, a
    shell starts `workers` standalone Zeeks on the interface, each in its own folder of the log directory
    (worker-<n>/: each writes conn.log...), all in the site's fanout group `fanout` (set in local.zeek), so
    the kernel splits the traffic between them by flow; the first one to exit stops the others and the
    container, which compose restarts. `$$` is compose's escape for a literal `$`."""
    zeek = [ZEEK_BINARY, "-C", "-i", f"af_packet::{interface}", LOCAL_ZEEK_TARGET]
    if workers == 1:
        return zeek
    script = (
        f"# {workers} Zeek workers in AF_PACKET fanout group {fanout}\n"
        "trap 'kill -TERM $$(jobs -p) 2>/dev/null; wait; exit 0' TERM INT\n"
        f"for n in $$(seq 1 {workers}); do\n"
        f"  mkdir -p worker-$$n && (cd worker-$$n && exec {' '.join(zeek)}) &\n"
        "done\n"
        "wait -n\n"
        "kill -TERM $$(jobs -p) 2>/dev/null; wait; exit 1\n"
    )
    return ["/bin/bash", "-c", script]


def zeek_context(profile: SiteProfile) -> dict[str, Any]:
    sensor = profile.sensor
    fanout = fanout_id(profile.project_name)
    live = sensor.mode == "live"
    return {
        "binary": ZEEK_BINARY,
        "command": live_command(sensor.interface or "", sensor.workers, fanout) if live else [],
        "local_zeek_target": LOCAL_ZEEK_TARGET,
        "logs_target": LOGS_TARGET,
        "fanout_id": fanout,
        # the correlator rewrites its export more than twice within this (see correlator/export.py)
        "intel_item_expiration_s": ZEEK_ITEM_EXPIRATION_S,
    }
