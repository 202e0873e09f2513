"""Every benchmark of bench/ in one run, each figure printed with its baseline and target.

    PYTHONPATH=installer:bench python bench/run.py --all --logs /tmp/bench-logs --intel /tmp/bench-intel

Each entry of SCRIPTS is a script of bench/ that prints one JSON object, the arguments it takes (from
`--logs`, `--intel`, `--repeat`) and how to read its figures into rows (figure, value, baseline, target).
Another benchmark joins the run by adding an entry. The scripts run one after the other, each in its own
process (so one's memory does not weigh on the next); the machine's load average is printed with every
script, as figures on a shared machine move with it. Also prints the JSON of every script at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
Row = tuple[str, str, str, str]  # figure, value, baseline (same run), target


@dataclass(frozen=True)
class Script:
    name: str
    path: str  # in bench/
    arguments: Callable[[argparse.Namespace], list[str]]
    rows: Callable[[dict[str, Any]], list[Row]]


def _scan_rows(figures: dict[str, Any]) -> list[Row]:
    names = {
        "dir": "Zeek log directory (no _path)",
        "path": "_path stream (json-streaming-logs)",
        "mixed": "mixed stream, no _path (typed by fields)",
    }
    rows: list[Row] = []
    for layout, name in names.items():
        if layout in figures:
            got = figures[layout]
            rows.append(
                (
                    f"{name}: lines/s (wall; per CPU-s)",
                    f"{got['lines_per_s']:,}; {got['lines_per_cpu_s']:,}",
                    f"json.loads {got['json_loads_lines_per_s']:,}; {got['json_loads_lines_per_cpu_s']:,}",
                    "",
                )
            )
            rows.append(
                (
                    f"{name}: x json.loads (wall; CPU)",
                    f"{got['ratio_wall']}x; {got['ratio_cpu']}x",
                    "json.loads loop, same files",
                    f">= {got['target']}x",
                )
            )
    return rows


def _storm_rows(figures: dict[str, Any]) -> list[Row]:
    return [
        (
            f"alert storm to {'--json stdout' if sink == 'json' else 'the SQLite store'}: alerts/s "
            "(hunt wall; whole process CPU)",
            f"{figures[sink]['alerts_per_s']:,}; {figures[sink]['alerts_per_process_cpu_s']:,}",
            f"{figures[sink]['alerts']:,} alerts of {figures[sink]['lines']:,} lines",
            f">= {figures[sink]['target']:,}",
        )
        for sink in ("json", "sqlite")
    ]


def _workers_rows(figures: dict[str, Any]) -> list[Row]:
    many = next(key for key in figures if key.startswith("workers_") and key != "workers_1")
    return [
        (
            f"--{many.replace('_', ' ')} on the Zeek directory: lines/s",
            f"{figures[many]['lines_per_s']:,} ({figures['speedup']}x; "
            f"{figures[many]['cores_used']} cores used)",
            f"1 worker {figures['workers_1']['lines_per_s']:,} "
            f"({figures['workers_1']['cores_used']} cores used)",
            f">= {figures['target']}x",
        )
    ]


def _scaling_rows(figures: dict[str, Any]) -> list[Row]:
    counts = [key for key in figures if key.isdecimal()]
    return [(f"{int(count):,} indicators: lines per CPU-s (Zeek directory)",
             f"{figures[count]['lines_per_cpu_s']:,}",
             f"json.loads {figures['json_loads_lines_per_cpu_s']:,}", "") for count in counts]


def _intel_load_rows(figures: dict[str, Any]) -> list[Row]:
    return [(f"1M indicators, {name}: load s; peak growth / resident B per indicator",
             f"{got['seconds']:.2f} s; {got['peak_per']:.0f} / {got['resident_per']:.0f} B",
             f"{got['indicators']:,.0f} indicators", "<= 1.5 s; <= 100 / <= 24 B")
            for name, got in figures.items()]


def _duckdb_rows(figures: dict[str, Any]) -> list[Row]:
    ours, peer = figures["minisoc"], figures["duckdb"]
    return [("end to end, Zeek directory x 1M indicators: s (peak RSS MB)",
             f"{ours['seconds']:.2f} s ({ours['peak'] / 1e6:.0f} MB); "
             f"{ours['seconds'] / peer['seconds']:.2f}x",
             f"DuckDB one thread {peer['seconds']:.2f} s ({peer['peak'] / 1e6:.0f} MB)", "<= 1.5x DuckDB")]


def _live_rows(figures: dict[str, Any]) -> list[Row]:
    stored = "every line stored" if figures["all_stored"] else "LINES MISSING from the log indices"
    return [
        ("live service, Zeek directory -> OpenSearch (alerts + log indexing): lines per correlator CPU-s",
         f"{figures['lines_per_cpu_s']:,} ({figures['lines_per_s']:,} lines/s wall)",
         f"{figures['lines']:,} lines, OpenSearch on the same cores; {stored}",
         f">= {figures['target_lines_per_cpu_s']:,}"),
        ("live service canary: indicator published -> alert searchable, s",
         f"{figures['canary_s']:.2f} (log line -> alert {figures['log_to_alert_s']:.2f})",
         "intel polled every 1 s", f"<= {figures['target_canary_s']}"),
    ]


def _common(args: argparse.Namespace) -> list[str]:
    return ["--logs", str(args.logs), "--repeat", str(args.repeat)]


SCRIPTS: list[Script] = [
    Script("scan", "scan_streams.py", lambda args: [*_common(args), "--intel", args.intel], _scan_rows),
    Script("storm", "alert_storm.py", _common, _storm_rows),
    Script("workers", "workers.py", lambda args: [*_common(args), "--intel", args.intel], _workers_rows),
    Script("scaling", "throughput_scaling.py", lambda args: [*_common(args), "--intel", args.intel],
           _scaling_rows),
    # bench/gen_intel_formats.py's sets (--intel-sets): skipped when not given
    Script("intel-load", "intel_load.py", lambda args: [str(args.intel_sets), "--repeat", str(args.repeat),
                                                        "--json"], _intel_load_rows),
    Script("duckdb", "duckdb_peer.py", lambda args: [*_common(args), "--intel",
                                                     str(args.intel_sets / "zeek" / "intel.dat"), "--json"],
           _duckdb_rows),
    # the integration tests' OpenSearch (Maven Central's zip on the local Java), started and stopped by it
    Script("live", "live_service.py", lambda args: ["--logs", str(args.logs / "dir"), "--intel",
                                                    str(args.intel_sets / "zeek" / "intel.dat"),
                                                    "--start-server", "--repeat", str(args.repeat)],
           _live_rows),
]
NEEDS_INTEL_SETS = frozenset({"intel-load", "duckdb", "live"})


def run_script(script: Script, args: argparse.Namespace) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH.parent / "installer"), str(BENCH)])}
    done = subprocess.run(
        [sys.executable, str(BENCH / script.path), *script.arguments(args)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        cwd=BENCH.parent,
    )
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logs", type=Path, required=True, help="the OUT_DIR of bench/gen_logs.py")
    parser.add_argument("--intel", required=True, help="bench/gen_intel.py's feed (or any intel)")
    parser.add_argument("--intel-sets", type=Path,
                        help="bench/gen_intel_formats.py's 1M sets (intel-load, duckdb, live)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", action="append", choices=[script.name for script in SCRIPTS])
    args = parser.parse_args(argv)
    every: dict[str, Any] = {}
    print("| figure | value | baseline in the same run | target |\n|---|---:|---|---:|")
    for script in SCRIPTS:
        if args.only and script.name not in args.only:
            continue
        if script.name in NEEDS_INTEL_SETS and args.intel_sets is None:
            print(f"| {script.name}: skipped (no --intel-sets) | | | |")
            continue
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        figures = every[script.name] = run_script(script, args)
        if "error" in figures:
            print(f"| {script.name}: failed | {figures['error']} | | |")
            continue
        for row in script.rows(figures):
            print("| " + " | ".join(row) + " |")
        print(f"| ({script.name}: load average {load} before it) | | | |", flush=True)
    print(json.dumps(every, indent=1))


if __name__ == "__main__":
    main()
