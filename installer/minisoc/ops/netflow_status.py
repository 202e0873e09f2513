"""What `minisoc status` shows of the flow collector itself, from its own output (the correlator's side of the
input, records read and malformed, is `input <name>:` from its /healthz, ops/input_status):

- receiving or not, and flows/s: the newest flows-YYYY-MM-DD.json, its last write, and the records in its
  last MiB whose flow ended in the last minute (pmacct writes them every 2 s);
- the datagrams the kernel dropped on the collector's socket (a full receive buffer: the `drops` column of
  /proc/net/udp6 in the container, the one loss counter nfacctd's Linux socket has).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RECEIVING_WITHIN_S = 60.0  # the print plugin writes every 2 s while flows come
RATE_WINDOW_S = 60.0
TAIL_BYTES = 1 << 20
PMACCT_TIME = "%Y-%m-%d %H:%M:%S.%f"


def _flow_end(line: str) -> float | None:
    try:
        record = json.loads(line)
        return datetime.strptime(record["timestamp_end"], PMACCT_TIME).replace(tzinfo=UTC).timestamp()
    except (ValueError, KeyError, TypeError):
        return None


def recent_flows(path: Path, now: float, window_s: float = RATE_WINDOW_S) -> int:
    """Records in the file's last TAIL_BYTES whose flow ended within `window_s` of `now`."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read().decode("utf-8", errors="replace").splitlines()
    if size > TAIL_BYTES:
        tail = tail[1:]  # the first line is cut
    ends = (_flow_end(line) for line in tail if line.strip())
    return sum(1 for end in ends if end is not None and now - window_s <= end <= now + window_s)


def collector_status(flow_dir: Path, now: float) -> dict[str, Any]:
    files = sorted(flow_dir.glob("flows-*.json")) if flow_dir.is_dir() else []
    if not files:
        state = "no flow yet" if flow_dir.is_dir() else "missing"
        return {"state": state, "dir": str(flow_dir), "file": None, "last_write_age_seconds": None,
                "flows_per_second": 0.0, "bytes": 0}
    newest = files[-1]
    info = newest.stat()
    age = max(0.0, now - info.st_mtime)
    return {
        "state": "receiving" if age <= RECEIVING_WITHIN_S else "idle",
        "dir": str(flow_dir),
        "file": newest.name,
        "last_write_age_seconds": round(age, 1),
        "flows_per_second": round(recent_flows(newest, now) / RATE_WINDOW_S, 2),
        "bytes": info.st_size,
    }


def udp_drops(proc_net_udp: str, port: int) -> int:
    """The kernel's `drops` of the sockets bound to local `port` in /proc/net/udp and /proc/net/udp6 text."""
    suffix = f":{port:04X}"
    rows = (line.split() for line in proc_net_udp.splitlines())
    return sum(int(row[-1]) for row in rows if len(row) > 2 and row[1].upper().endswith(suffix)
               and row[-1].isdigit())


def collector_lines(status: dict[str, Any]) -> list[str]:
    """`netflow collector: receiving, 12.5 flows/s, last write 1.5s ago (flows-2026-12-05.json, 3.2 MB)`."""
    if status["file"] is None:
        where = " (is the collector up?)" if status["state"] == "missing" else ""
        return [f"netflow collector: {status['state']}: nothing in {status['dir']}{where}"]
    drops = status.get("socket_drops")
    dropped = "" if drops is None else f", {drops} datagrams dropped by the kernel (socket buffer full)"
    return [
        f"netflow collector: {status['state']}, {status['flows_per_second']} flows/s, last write "
        f"{status['last_write_age_seconds']}s ago ({status['file']}, {status['bytes'] / 1e6:.1f} MB){dropped}"
    ]
