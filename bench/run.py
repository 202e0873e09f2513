"""The hunt pipeline's benchmark: prints figures (medians over --repeat runs), never asserts.

    python bench/gen_intel.py /tmp/bench-intel            # 1M indicators (MISP feed)
    python bench/gen_logs.py /tmp/bench-logs               # 500k conn/dns/http/ssl lines, 3 layouts
    PYTHONPATH=installer:bench python bench/run.py --logs /tmp/bench-logs --intel /tmp/bench-intel --workers 2
    PYTHONPATH=installer:bench python bench/run.py --all --logs /tmp/bench-logs --intel /tmp/bench-intel

`--all` runs every benchmark of bench/run_all.py's SCRIPTS instead and prints each figure with its baseline.

Measured, single core unless --workers: indicator load (feed files -> IndicatorIndex, wall and CPU) and
memory per indicator (tracemalloc: bytes the index retains); a plain `json.loads` loop over the log files;
the whole pipeline (read + parse + match + alert building: minisoc.correlator.hunt.hunt_logs, which
reads with minisoc.correlator.zeek.scan.scan_logs and calls minisoc.correlator.alerts.build_alerts) with
the 1M index loaded and a fresh Matcher each run (its memo of clean values cold, as in `minisoc hunt`),
and its ratio to json.loads, the two runs alternating; retro-hunt (1,000 new indicators over
the same logs, minisoc.correlator.service.retro.retro_hunt); with --workers N, `run_hunt` with N processes.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from baseline import json_loads_loop
from minisoc.correlator.hunt import HuntRequest, hunt_logs, run_hunt
from minisoc.correlator.intel.load import load_intel, load_intel_columns
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.service.retro import retro_hunt
from minisoc.correlator.zeek.reader import find_log_files, read_logs
from minisoc.correlator.zeek.stats import ReadStats


def timed(function: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def median_runs(repeat: int, function: Callable[[], Any]) -> tuple[float, float, Any]:
    runs = [timed(function) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), runs[-1][2])


def pipeline(files: list[Path], index: IndicatorIndex) -> tuple[int, int]:
    """What `minisoc hunt` does after loading: a fresh Matcher (its memo of clean values starts empty)."""
    matcher = Matcher(index)
    stats = ReadStats()
    alerts = 0
    for path in files:
        alerts += len(hunt_logs([path], matcher, stats=stats, site="bench", now=1.8e9))
    return stats.lines_total, alerts


def read_only(files: list[Path]) -> int:
    stats = ReadStats()
    for path in files:
        for _ in read_logs([path], stats=stats):
            pass
    return stats.lines_total


def match_only(files: list[Path], matcher: Matcher) -> tuple[float, int]:
    """CPU seconds of matcher.match alone over records read beforehand (a fresh matcher: cold memo)."""
    records = [record for path in files for record in read_logs([path])]
    fresh = Matcher(matcher.index)
    started = time.process_time()
    hits = sum(len(fresh.match(record)) for record in records)
    return time.process_time() - started, hits


def match_scaling(files: list[Path], intel: str, records_limit: int = 250_000) -> dict[str, int]:
    """Match-only records per CPU-second with 10k, 100k and all indicators loaded (best of 3 each)."""
    per_file = records_limit // max(1, len(files))  # every log type, not only the first files
    records = [
        record for path in files for _, record in zip(range(per_file), read_logs([path]), strict=False)
    ]
    indicators = load_intel([intel]).indicators
    figures: dict[str, int] = {}
    for count in (10_000, 100_000, len(indicators)):
        index = IndicatorIndex.build(indicators[:count])
        best = 0.0
        for _ in range(3):
            matcher = Matcher(index)
            started = time.process_time()
            for record in records:
                matcher.match(record)
            best = max(best, len(records) / (time.process_time() - started))
        figures[f"match_records_per_cpu_s_with_{count}_indicators"] = round(best)
    return figures


def load_index(intel: str) -> IndicatorIndex:
    """What `minisoc hunt` does before reading logs: the bulk (columns) load, then the index."""
    return IndicatorIndex.from_columns(load_intel_columns([intel]).columns)


def index_memory(intel: str) -> tuple[int, int]:
    """(indicators, bytes retained by the index), measured with tracemalloc (not timed)."""
    columns = load_intel_columns([intel]).columns
    gc.collect()
    tracemalloc.start()
    index = IndicatorIndex.from_columns(columns)
    count = len(columns)
    del columns
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del index
    return count, retained


def main() -> None:
    if "--all" in sys.argv[1:]:  # every benchmark, each figure with its baseline (bench/run_all.py)
        from run_all import main as run_all

        run_all([argument for argument in sys.argv[1:] if argument != "--all"])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--logs", type=Path, required=True)
    parser.add_argument("--intel", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="also measure run_hunt with N processes")
    parser.add_argument("--scaling", action="store_true", help="match cost with 10k/100k/all indicators")
    args = parser.parse_args()
    # bench/gen_logs.py writes the log directory under dir/ (beside the stream layouts)
    files = find_log_files(args.logs / "dir" if (args.logs / "dir").is_dir() else args.logs)
    figures: dict[str, Any] = {}

    wall, cpu, index = median_runs(args.repeat, lambda: load_index(args.intel))
    figures["indicators"] = len(index)
    figures["load_wall_s"], figures["load_cpu_s"] = round(wall, 2), round(cpu, 2)
    count, retained = index_memory(args.intel)
    figures["index_bytes_per_indicator"] = round(retained / count, 1)
    figures["index_array_bytes_per_indicator"] = round(index.nbytes() / count, 1)

    matcher = Matcher(index)
    # json.loads and the pipeline alternate, so both see the same moments of a shared machine
    json_runs, pipeline_runs = [], []
    for _ in range(args.repeat):
        json_runs.append(timed(lambda: json_loads_loop(files)))
        pipeline_runs.append(timed(lambda: pipeline(files, index)))
    lines, (piped, alerts) = json_runs[-1][2], pipeline_runs[-1][2]
    json_wall = statistics.median(run[0] for run in json_runs)
    pipeline_wall = statistics.median(run[0] for run in pipeline_runs)
    figures["lines"] = lines
    figures["json_loads_lines_per_s"] = round(lines / json_wall)
    figures["json_loads_lines_per_cpu_s"] = round(lines / statistics.median(run[1] for run in json_runs))
    figures["pipeline_lines_per_s"] = round(piped / pipeline_wall)
    figures["pipeline_lines_per_cpu_s"] = round(piped / statistics.median(run[1] for run in pipeline_runs))
    figures["pipeline_alerts"] = alerts
    figures["pipeline_vs_json_loads"] = round(json_wall / pipeline_wall, 2)
    figures["pipeline_vs_json_loads_per_pair"] = [
        round(json_run[0] / pipeline_run[0], 2) for json_run, pipeline_run in zip(json_runs, pipeline_runs,
                                                                                  strict=True)]

    wall, cpu, read_lines = median_runs(args.repeat, lambda: read_only(files))
    figures["stage_read_parse_lines_per_cpu_s"] = round(read_lines / cpu)
    match_cpu, hits = match_only(files, matcher)
    figures["stage_match_records_per_cpu_s"] = round(read_lines / match_cpu)
    figures["stage_match_hits"] = hits

    new = load_intel([args.intel]).indicators[:1000]
    wall, cpu, batches = median_runs(
        args.repeat, lambda: list(retro_hunt(new, args.logs, days=36500, site="bench", now=time.time()))
    )
    figures["retro_hunt_1000_new_indicators_s"] = round(wall, 2)
    figures["retro_hunt_lines_per_s"] = round(piped / wall)
    figures["retro_hunt_alerts"] = sum(len(batch) for batch in batches)

    if args.scaling:
        figures.update(match_scaling(files, args.intel))
    if args.workers:
        for workers in (1, args.workers):
            request = HuntRequest(logs=[str(args.logs)], intel=[args.intel], workers=workers)
            wall, _, summary = timed(lambda request=request: run_hunt(request, lambda alerts: None))  # type: ignore[misc]
            hunting = summary.elapsed_seconds - summary.intel.load_seconds  # load: intel and index
            figures[f"run_hunt_workers_{workers}_lines_per_s"] = round(summary.read.lines_total / hunting)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
