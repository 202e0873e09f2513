"""`run_hunt` with 1 and N worker processes over the Zeek log directory: lines/s and the speed-up.

    PYTHONPATH=installer:bench python bench/workers.py --logs /tmp/bench-logs --intel /tmp/bench-intel

lines/s = lines / (the hunt's elapsed seconds - the intel load). The files are split over forked workers
(hunt_pool): a speed-up needs N idle cores. So that a loaded machine shows as such, each run also reports
the CPU seconds its processes used (the parent's and the workers') and the load average: on 2 cores shared
with other work, `--workers 2` cannot reach 2x whatever the code does. Target: >= 1.8x one worker.
Medians of --repeat runs. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path
from typing import Any

from minisoc.correlator.hunt import HuntRequest, run_hunt

TARGET = 1.8


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def hunt(logs: Path, intel: str, workers: int) -> dict[str, float]:
    request = HuntRequest(logs=[str(logs)], intel=[intel], workers=workers)
    cpu, wall = cpu_seconds(), time.perf_counter()
    summary = run_hunt(request, lambda alerts: None)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    hunting = summary.elapsed_seconds - summary.intel.load_seconds
    return {
        "lines": summary.read.lines_total,
        "hunt_s": hunting,
        "cpu_s": cpu,
        "wall_s": wall,
        "load_s": summary.intel.load_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logs", type=Path, required=True, help="the OUT_DIR of bench/gen_logs.py")
    parser.add_argument("--intel", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, Any] = {"cores": os.cpu_count(), "loadavg_before": os.getloadavg()}
    by_workers: dict[int, list[dict[str, float]]] = {1: [], args.workers: []}
    for _ in range(args.repeat):  # alternating, so both see the same minutes of a shared machine
        for workers in by_workers:
            by_workers[workers].append(hunt(args.logs / "dir", args.intel, workers))
    for workers, runs in by_workers.items():
        lines = runs[-1]["lines"]
        hunting = statistics.median(run["hunt_s"] for run in runs)
        figures[f"workers_{workers}"] = {
            "lines": lines,
            "lines_per_s": round(lines / hunting),
            # CPU of the whole run (load included) over its wall time: how many cores it got on average
            "cores_used": round(statistics.median(run["cpu_s"] / run["wall_s"] for run in runs), 2),
            # the same for the hunt alone (the load runs on one core before the fork: its CPU ~ its wall)
            "cores_used_hunting": round(statistics.median((run["cpu_s"] - run["load_s"]) / run["hunt_s"]
                                                          for run in runs), 2),
            "cpu_s_per_100k_lines": round(statistics.median(run["cpu_s"] for run in runs) / lines * 1e5, 3),
        }
    one, many = figures["workers_1"]["lines_per_s"], figures[f"workers_{args.workers}"]["lines_per_s"]
    figures["speedup"] = round(many / one, 2)
    figures["target"] = TARGET
    figures["loadavg_after"] = os.getloadavg()
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
