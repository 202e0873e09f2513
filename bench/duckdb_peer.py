"""End to end against a peer: `minisoc hunt` (load + hunt) and a DuckDB exact-match join of the same
observables against the same indicators, in the same run, each in a fresh process, one thread.

    pip install -e '.[bench]'                                        # duckdb: the peer, for benchmarks only
    python bench/gen_intel_formats.py /tmp/bench-intel-sets # 1M indicators (zeek/intel.dat among them)
    python bench/gen_logs.py /tmp/bench-logs --lines 500000 # a Zeek log directory (conn/dns/http/ssl)
    PYTHONPATH=installer python bench/duckdb_peer.py --logs /tmp/bench-logs \\
        --intel /tmp/bench-intel-sets/zeek/intel.dat [--repeat 3] [--against ../main]

DuckDB reads the Zeek intel file into a table and, per log file, `unnest`s the record's observables (the
connection's addresses, dns query and answers, http host, ssl server_name) into one column joined on the
indicator: exact matches only (minisoc also matches parent domains, CIDRs, URLs and ports, and builds
alerts). Printed: the median wall time of --repeat runs (alternating) from before the load to the last
match, the peak RSS of each, and the ratio minisoc / DuckDB. Prints figures, never asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Per log type, the observables DuckDB joins (lists are concatenated; a missing column is not selected).
OBSERVABLES = {
    "conn": ['"id.orig_h"', '"id.resp_h"'],
    "dns": ['"id.orig_h"', '"id.resp_h"', "query"],
    "http": ['"id.orig_h"', '"id.resp_h"', "host"],
    "ssl": ['"id.orig_h"', '"id.resp_h"', "server_name"],
}
LISTS = {"dns": "answers"}


def log_files(logs: Path) -> list[Path]:
    logs = logs / "dir" if (logs / "dir").is_dir() else logs  # bench/gen_logs.py's log directory layout
    return sorted(p for p in logs.iterdir() if p.is_file() and p.name.split(".")[0] in OBSERVABLES)


def duckdb_hunt(intel: str, files: list[Path]) -> int:
    """Exact matches of the observables of `files` against the indicators of the Zeek intel file `intel`."""
    import duckdb

    connection = duckdb.connect(config={"threads": 1})
    connection.execute(
        "CREATE TABLE intel AS SELECT indicator FROM read_csv(?, delim='\t', header=false, skip=1, "
        "quote='', escape='', columns={'indicator': 'VARCHAR', 'indicator_type': 'VARCHAR', "
        "'source': 'VARCHAR', 'desc': 'VARCHAR', 'notice': 'VARCHAR'})", [intel])
    matches = 0
    for path in files:
        log_type = path.name.split(".")[0]
        values = "[" + ", ".join(OBSERVABLES[log_type]) + "]"
        if log_type in LISTS:
            values = f"list_concat({values}, coalesce({LISTS[log_type]}, []))"
        query = (f"SELECT count(*) FROM (SELECT unnest({values}) AS v"
                 " FROM read_json(?, format='newline_delimited')) o JOIN intel i ON o.v = i.indicator")
        matches += connection.execute(query, [str(path)]).fetchone()[0]  # type: ignore[index]
    return matches


def minisoc_hunt(intel: str, files: list[Path]) -> int:
    """`minisoc hunt --intel INTEL --logs FILES...`, its alerts dropped: the number of alerts."""
    from minisoc.correlator.hunt import HuntRequest, run_hunt

    alerts = 0

    def emit(batch: list[object]) -> None:
        nonlocal alerts
        alerts += len(batch)

    run_hunt(HuntRequest(logs=[str(p) for p in files], intel=[intel]), emit)  # type: ignore[arg-type]
    return alerts


def one_run(which: str, intel: str, logs: Path) -> dict[str, float]:
    files = log_files(logs)
    started = time.perf_counter()
    found = duckdb_hunt(intel, files) if which == "duckdb" else minisoc_hunt(intel, files)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "found": found, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=Path, default=Path("/tmp/bench-logs"))
    parser.add_argument("--intel", default="/tmp/bench-intel-sets/zeek/intel.dat")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", type=Path, help="also another checkout's minisoc (the baseline)")
    parser.add_argument("--one", choices=("duckdb", "minisoc"), help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="one JSON object (bench/run.py --all)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one, args.intel, args.logs)))
        return
    if not args.json:
        print(f"loadavg {Path('/proc/loadavg').read_text().strip()}")
    runs: dict[str, list[dict[str, float]]] = {"minisoc": [], "duckdb": []}
    trees: dict[str, Path | None] = {"minisoc": None, "duckdb": None}
    if args.against:
        runs[f"minisoc@{args.against.name}"] = []
        trees[f"minisoc@{args.against.name}"] = args.against
    for _ in range(args.repeat):
        for which in runs:  # alternating, so all see the same machine
            tree = trees[which]
            env = {**os.environ, "PYTHONPATH": str(tree / "installer")} if tree else {**os.environ}
            command = [sys.executable, __file__, "--one", which.split("@")[0], "--intel", args.intel]
            output = subprocess.run([*command,
                                     "--logs", str(args.logs)], check=True, capture_output=True, text=True,
                                    env=env).stdout
            runs[which].append(json.loads(output))
    median = {which: statistics.median(run["seconds"] for run in done) for which, done in runs.items()}
    if args.json:
        print(json.dumps({which: {"seconds": median[which], "peak": max(run["peak"] for run in done),
                                  "found": done[-1]["found"]} for which, done in runs.items()}))
        return
    for which, done in runs.items():
        peak = max(run["peak"] for run in done) / 1e6
        print(f"{which:12} {median[which]:6.2f} s (median of {len(done)})  peak RSS {peak:6.0f} MB"
              f"  found {done[-1]['found']:,.0f} ({'exact matches' if which == 'duckdb' else 'alerts'})"
              f"  {median[which] / median['duckdb']:.2f}x duckdb")
    print(f"ratio minisoc / duckdb: {median['minisoc'] / median['duckdb']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
