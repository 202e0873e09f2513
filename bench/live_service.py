"""The live service (issue 14): `minisoc correlate run` tailing a Zeek log directory into a real OpenSearch,
alerts and log indexing on. Prints one JSON object, never asserts.

    PYTHONPATH=installer:bench python bench/live_service.py --logs /tmp/bench-logs/dir \\
        --intel /tmp/bench-intel-sets/zeek/intel.dat [--url URL | --start-server] [--repeat 3]

Per run, a fresh correlator process (its own state, alert index and log index prefix) loads --intel (a Zeek
intel file: bench/gen_intel_formats.py's 1M indicators, the planted values of gen_logs.py among them). When
it answers /healthz, the Zeek log files of --logs (bench/gen_logs.py's `dir/` layout: conn/dns/http/ssl
.log, real records of several captures) are copied into its log folder at once. Measured until every file is
read to its end in the tail checkpoint and the sink's backlog is empty:

- lines per second of wall time, and lines per CPU second of the correlator process (utime + stime of
  /proc/PID/stat): "per correlator core". The OpenSearch server shares the machine's cores; its CPU seconds
  over the same interval are printed too.
- every line stored: the log indices' document count is checked against the line count.
- the canary, as `minisoc verify` makes it (ops/canary.py): a new domain indicator written to an intel file
  the service polls every second (`intel.sync_interval_s: 1`) and, at the same moment, a Zeek dns.log line
  naming it; the time until the alert is searchable (a `_count` without refresh, as a user's search). A
  site's poll interval (`intel.sync_interval`, 10 s to 7 d, default 5 m) adds up to that interval.
- the log-to-alert time: a line naming a second indicator, published with the canary's (so loaded by then).

Medians over --repeat runs; peak RSS (VmHWM) of the correlator; /proc/loadavg before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from baseline import peak_rss_mib
from minisoc.ops.canary import Canary, canary_log_line, new_canary

REPO = Path(__file__).resolve().parents[1]
INTEL_HEADER = "#fields\tindicator\tindicator_type\tmeta.source\n"
TICKS = os.sysconf("SC_CLK_TCK")


def call(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url}{path}", data=data, headers={"Content-Type": "application/json"},
                                     method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)


def count(url: str, index: str, refresh: bool = False) -> int:
    try:
        if refresh:
            call(url, f"/{index}/_refresh", {})
        return int(call(url, f"/{index}/_count")["count"])
    except OSError:  # the index does not exist yet (404) or the server is busy
        return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health(port: int) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as reply:
            return dict(json.load(reply))
    except urllib.error.HTTPError as error:  # 503 while degraded: still a body
        return dict(json.load(error))
    except OSError:
        return None


def caught_up(state: Path, logs: Path, port: int) -> bool:
    """Every file of the log folder read to its end (tail checkpoint), the sink's backlog empty."""
    try:
        checkpoint = json.loads((state / "tail" / "zeek-tail.checkpoint.json").read_bytes())
    except (OSError, ValueError):
        return False
    offsets = {entry["path"]: entry["offset"] for entry in checkpoint["files"].values()}
    if any(offsets.get(str(path)) != path.stat().st_size for path in logs.glob("*.log")):
        return False
    answer = health(port)
    return answer is not None and not any(answer["components"]["sink"]["backlog"].values())


def wait(condition: Any, timeout_s: float, what: str, interval_s: float = 0.05) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if condition():
            return time.monotonic() - started
        time.sleep(interval_s)
    raise SystemExit(f"timed out after {timeout_s:.0f} s waiting for {what}")


def publish(intel: Path, canaries: list[Canary]) -> None:
    temporary = intel.with_name(".canary.tmp")
    rows = "".join(f"{c.domain}\tIntel::DOMAIN\tbench canary\n" for c in canaries)
    temporary.write_text(INTEL_HEADER + rows)
    temporary.replace(intel)


def run_once(args: argparse.Namespace, work: Path, run: int, server_pid: int | None) -> dict[str, Any]:
    home = work / f"run-{run}"
    logs, state = home / "logs", home / "state"
    logs.mkdir(parents=True)
    canary_intel = home / "canary.intel"
    canary_intel.write_text(INTEL_HEADER + f"placeholder-{run}.bench.invalid\tIntel::DOMAIN\tbench\n")
    port = free_port()
    alerts, prefix = f"benchlive-alerts-{os.getpid()}-{run}", f"benchlive-{os.getpid()}-{run}"
    config = {
        "site": "bench", "state_dir": str(state),
        "logs": {"dir": str(logs), "poll_interval_s": 0.2, "batch_lines": args.batch_lines},
        "intel": {"zeek_intel_files": [str(args.intel), str(canary_intel)], "sync_interval_s": 1},
        "sink": {"kind": "opensearch", "opensearch": {"url": args.url, "username": "admin",
                                                      "verify_tls": False, "alerts_index": alerts,
                                                      "logs_index_prefix": prefix}},
        "sightings": {"enabled": False}, "export": {"zeek_intel_path": None},
        "http": {"bind": "127.0.0.1", "port": port},
    }
    (home / "c.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(REPO / "installer")}
    with (home / "log").open("wb") as out:
        profile = ["-m", "cProfile", "-o", str(args.profile)] if args.profile else []
        process = subprocess.Popen([sys.executable, *profile, "-m", "minisoc", "correlate", "run", "--config",
                                    str(home / "c.yaml"), "--log-level", "warning"],
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait(lambda: (health(port) or {}).get("components", {}).get("intel", {}).get("indicators", 0) > 1,
             600, "the correlator to load the intel", interval_s=0.5)
        files = sorted(args.logs.glob("*.log"))
        lines = sum(1 for path in files for _ in path.open("rb"))
        cpu_before = cpu_seconds(process.pid)
        server_before = cpu_seconds(server_pid) if server_pid else 0.0
        started = time.monotonic()
        for path in files:  # each file whole, renamed into place: the tail never sees half a file
            shutil.copyfile(path, home / f".{path.name}")
            (home / f".{path.name}").replace(logs / path.name)
        wait(lambda: caught_up(state, logs, port), 1800, "the correlator to catch up", 0.2)
        seconds = time.monotonic() - started  # from the first copy, not from when the wait began
        cpu = cpu_seconds(process.pid) - cpu_before
        server_cpu = (cpu_seconds(server_pid) - server_before) if server_pid else None
        stored = count(args.url, f"{prefix}-*", refresh=True)
        alerts_before = count(args.url, alerts, refresh=True)

        canary, loaded = new_canary(), new_canary()
        published = time.monotonic()
        publish(canary_intel, [canary, loaded])
        (logs / canary.log_file_name).write_text(canary_log_line(canary, datetime.now(UTC)) + "\n")
        wait(lambda: count(args.url, alerts) > alerts_before, 120, "the canary alert")
        canary_s = time.monotonic() - published
        second = time.monotonic()  # a line naming the other indicator, published with the first: loaded
        (logs / loaded.log_file_name).write_text(canary_log_line(loaded, datetime.now(UTC)) + "\n")
        wait(lambda: count(args.url, alerts) > alerts_before + 1, 120, "the second canary alert")
        log_to_alert_s = time.monotonic() - second
        rss = peak_rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(120)
    return {"lines": lines, "stored": stored, "seconds": round(seconds, 2), "cpu_s": round(cpu, 2),
            "server_cpu_s": round(server_cpu, 2) if server_cpu is not None else None,
            "alerts": alerts_before, "canary_s": round(canary_s, 2),
            "log_to_alert_s": round(log_to_alert_s, 2), "peak_rss_mib": round(rss, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=Path, required=True, help="a Zeek log folder (gen_logs.py's dir/)")
    parser.add_argument("--intel", type=Path, required=True, help="a Zeek intel file")
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--start-server", action="store_true", help="the integration tests' OpenSearch")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-lines", type=int, default=5000)
    parser.add_argument("--json", action="store_true", help="(always JSON; for bench/run_all.py)")
    parser.add_argument("--profile", type=Path, help="cProfile the correlator into this file (last run's)")
    args = parser.parse_args()
    server = None
    if args.start_server:
        sys.path.insert(0, str(REPO / "tests" / "integration"))
        from opensearch_server import start_server

        server = start_server()
        args.url = server.url
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="msbench-live-") as tmp:
            for run in range(args.repeat):
                server_pid = server.process.pid if server is not None and server.process else None
                runs.append(run_once(args, Path(tmp), run, server_pid))
    finally:
        if server is not None:
            server.stop()
    lines = runs[0]["lines"]
    figures = {
        "benchmark": "live_service", "lines": lines, "intel": str(args.intel), "repeat": args.repeat,
        "lines_per_s": round(statistics.median(lines / r["seconds"] for r in runs)),
        "lines_per_cpu_s": round(statistics.median(lines / r["cpu_s"] for r in runs)),
        "canary_s": statistics.median(r["canary_s"] for r in runs),
        "log_to_alert_s": statistics.median(r["log_to_alert_s"] for r in runs),
        "all_stored": all(r["stored"] == r["lines"] for r in runs),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "target_lines_per_cpu_s": 50_000, "target_canary_s": 5.0,
        "loadavg_before": load_before, "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "runs": runs,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
