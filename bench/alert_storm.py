"""The alert storm: about half the lines hit, alerts to `--json` stdout and to the SQLite store, in alerts/s.

    PYTHONPATH=installer:bench python bench/alert_storm.py --logs /tmp/bench-logs

Runs `minisoc hunt` itself (a subprocess, as an operator would) over the conn and dns files of part 00 of
the log directory of bench/gen_logs.py (about 100k lines) with its storm.intel (half the internal hosts),
once with `--json > file` and once with `--store sqlite:///...`. alerts/s = alerts / (the hunt's elapsed
seconds - the intel load), both from the summary the hunt prints, so the figure covers reading, matching,
alert building and writing. Medians of --repeat runs; target >= 50k alerts/s each. The subprocess's CPU time
is reported too (a shared machine's wall clock moves with its load). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET = 50_000


def storm_logs(logs: Path) -> list[str]:
    return [
        str(path) for path in sorted((logs / "dir").glob("*.00.log")) if path.name[:4] in ("conn", "dns.")
    ]


def hunt_once(logs: list[str], intel: Path, sink: str, scratch: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "minisoc", "hunt", "--intel", str(intel), "--allow-empty"]
    for path in logs:
        command += ["--logs", path]
    database = scratch / "alerts.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    command += ["--json"] if sink == "json" else ["--json", "--store", f"sqlite:///{database}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with (scratch / "alerts.jsonl").open("wb") as out:
        done = subprocess.run(
            command,
            stdout=out if sink == "json" else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
            env={**os.environ, "PYTHONPATH": "installer"},
        )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads(done.stderr.splitlines()[-1])
    hunting = summary["elapsed_seconds"] - summary["indicators"]["load_seconds"]
    return {
        "alerts": summary["alerts"],
        "lines": summary["logs"]["lines"],
        "hunt_s": hunting,
        "process_wall_s": wall,
        "process_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logs", type=Path, required=True, help="the OUT_DIR of bench/gen_logs.py")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logs = storm_logs(args.logs)
    figures: dict[str, Any] = {"logs": logs, "loadavg_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="minisoc-storm-") as scratch:
        for sink in ("json", "sqlite"):
            runs = [
                hunt_once(logs, args.logs / "storm.intel", sink, Path(scratch)) for _ in range(args.repeat)
            ]
            alerts = runs[-1]["alerts"]
            figures[sink] = {
                "alerts": alerts,
                "lines": runs[-1]["lines"],
                "alerts_per_s": round(alerts / statistics.median(run["hunt_s"] for run in runs)),
                "process_cpu_s": round(statistics.median(run["process_cpu_s"] for run in runs), 2),
                # the whole process (start-up, intel load): a floor the machine's load moves less
                "alerts_per_process_cpu_s": round(
                    alerts / statistics.median(run["process_cpu_s"] for run in runs)
                ),
                "process_wall_s": round(statistics.median(run["process_wall_s"] for run in runs), 2),
                "target": TARGET,
            }
    figures["loadavg_after"] = os.getloadavg()
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
