"""status of the flow collector from its own files and socket counters (ops/netflow_status.py)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minisoc.ops.netflow_status import collector_lines, collector_status, udp_drops

NOW = datetime(2026, 12, 5, 7, 45, tzinfo=UTC)


def _record(end: datetime) -> str:
    return json.dumps({"ip_src": "192.0.2.1", "ip_dst": "203.0.113.9", "port_src": 1, "port_dst": 443,
                       "timestamp_start": end.strftime("%Y-%m-%d %H:%M:%S.%f"),
                       "timestamp_end": end.strftime("%Y-%m-%d %H:%M:%S.%f"), "packets": 1, "bytes": 60})


def test_a_collector_writing_now_is_receiving_with_its_flow_rate(tmp_path: Path) -> None:
    older = tmp_path / "flows-2026-12-04.json"
    older.write_text(_record(NOW - timedelta(days=1)) + "\n")
    newest = tmp_path / "flows-2026-12-05.json"
    lines = [_record(NOW - timedelta(seconds=s)) for s in range(2, 120, 2)]  # 30 in the last minute
    newest.write_text("\n".join(lines) + "\n" + "not json\n")
    os.utime(newest, (NOW.timestamp() - 3, NOW.timestamp() - 3))
    status = collector_status(tmp_path, NOW.timestamp())
    assert (status["state"], status["file"], status["last_write_age_seconds"]) == (
        "receiving", "flows-2026-12-05.json", 3.0)
    assert status["flows_per_second"] == 0.5
    status["socket_drops"] = 7
    assert collector_lines(status) == [
        f"netflow collector: receiving, 0.5 flows/s, last write 3.0s ago (flows-2026-12-05.json, "
        f"{newest.stat().st_size / 1e6:.1f} MB), 7 datagrams dropped by the kernel (socket buffer full)"]


def test_a_quiet_collector_is_idle_and_a_missing_folder_says_so(tmp_path: Path) -> None:
    flows = tmp_path / "flows-2026-12-05.json"
    flows.write_text(_record(NOW - timedelta(hours=1)) + "\n")
    os.utime(flows, (NOW.timestamp() - 600, NOW.timestamp() - 600))
    status = collector_status(tmp_path, NOW.timestamp())
    assert (status["state"], status["flows_per_second"]) == ("idle", 0.0)
    assert collector_status(tmp_path / "empty", NOW.timestamp())["state"] == "missing"
    (tmp_path / "empty").mkdir()
    quiet = collector_status(tmp_path / "empty", NOW.timestamp())
    assert quiet["state"] == "no flow yet" and "nothing in" in collector_lines(quiet)[0]


def test_udp_drops_reads_the_sockets_of_the_port() -> None:
    proc = (
        "  sl  local_address rem_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode ref "
        "pointer drops\n"
        " 1: 00000000:0807 00000000:0000 07 00000000:00000000 00:00000000 00000000 10001 0 1 2 0 754\n"
        " 2: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2 0 9\n"
        " 3: 00000000000000000000000000000000:0807 00000000000000000000000000000000:0000 07 0:0 0:0 0 "
        "10001 0 1 2 0 6\n"
    )
    assert udp_drops(proc, 2055) == 760
    assert udp_drops(proc, 53) == 9
    assert udp_drops("", 2055) == 0
