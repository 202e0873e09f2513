"""Log scanning on the three layouts of bench/gen_logs.py, each against a `json.loads` loop over the same
files.

    PYTHONPATH=installer:bench python bench/scan_streams.py --logs /tmp/bench-logs --intel /tmp/bench-intel

Workloads (single core, a fresh Matcher each run, as `minisoc hunt` starts; the intel is loaded once):
- `dir`: the Zeek log directory (plain LogAscii JSON, no `_path`), target >= 2.0x json.loads;
- `path`: the interleaved stream with `_path` on every record (json-streaming-logs), target >= 1.5x;
- `mixed`: the same stream without `_path` (records typed by their fields), target >= 1.0x.
The pipeline is `hunt.hunt_logs` (read + parse + match + alert building), run while GC is paused as
`run_hunt` does. json.loads and the pipeline alternate (so both see the same minutes of a shared machine);
each figure is the median of --repeat runs, wall and CPU time (the CPU time is this process's: it does not
move when other processes share the cores). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path
from typing import Any

from baseline import json_loads_loop, timed
from minisoc.correlator.hunt import gc_paused, hunt_logs, load_hunt_columns
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.zeek.reader import find_log_files
from minisoc.correlator.zeek.stats import ReadStats

TARGETS = {"dir": 2.0, "path": 1.5, "mixed": 1.0}


def pipeline(files: list[Path], index: IndicatorIndex) -> tuple[int, int]:
    """What `minisoc hunt` does per file after loading: a fresh Matcher (its memo of clean values empty), the
    cyclic GC paused as run_hunt pauses it (with 10M indicators loaded as Python objects, each full collection
    walked them all: the 1k-10M curve was noise)."""
    matcher = Matcher(index)
    stats = ReadStats()
    alerts = 0
    with gc_paused():
        for path in files:
            alerts += len(hunt_logs([path], matcher, stats=stats, site="bench", now=1.8e9))
    return stats.lines_total, alerts


def measure(files: list[Path], index: IndicatorIndex, repeat: int) -> dict[str, Any]:
    json_runs, pipeline_runs = [], []
    for _ in range(repeat):
        json_runs.append(timed(lambda: json_loads_loop(files)))
        pipeline_runs.append(timed(lambda: pipeline(files, index)))
    lines = json_runs[-1][2]
    piped, alerts = pipeline_runs[-1][2]
    json_wall = statistics.median(run[0] for run in json_runs)
    json_cpu = statistics.median(run[1] for run in json_runs)
    wall = statistics.median(run[0] for run in pipeline_runs)
    cpu = statistics.median(run[1] for run in pipeline_runs)
    return {
        "lines": piped,
        "alerts": alerts,
        "lines_per_s": round(piped / wall),
        "lines_per_cpu_s": round(piped / cpu),
        "json_loads_lines_per_s": round(lines / json_wall),
        "json_loads_lines_per_cpu_s": round(lines / json_cpu),
        "ratio_wall": round(json_wall / wall, 2),
        "ratio_cpu": round(json_cpu / cpu, 2),
        "ratio_per_pair": [round(j[0] / p[0], 2) for j, p in zip(json_runs, pipeline_runs, strict=True)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logs", type=Path, required=True, help="the OUT_DIR of bench/gen_logs.py")
    parser.add_argument("--intel", required=True, help="intel for the index (bench/gen_intel.py's feed)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=sorted(TARGETS), action="append")
    args = parser.parse_args()
    columns, _ = load_hunt_columns([args.intel], [])
    index = IndicatorIndex.from_columns(columns)
    del columns
    figures: dict[str, Any] = {"indicators": len(index), "loadavg_before": os.getloadavg()}
    for layout in args.only or list(TARGETS):
        files = find_log_files(args.logs / layout)
        figures[layout] = measure(files, index, args.repeat)
        figures[layout]["target"] = TARGETS[layout]
    figures["loadavg_after"] = os.getloadavg()
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
