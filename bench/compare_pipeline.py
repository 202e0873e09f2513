"""A/B of the hunt pipeline alone, two source trees in ONE process, alternately (best-of CPU time).

    git archive <commit> installer | tar -x -C /tmp/old
    python bench/compare_pipeline.py /tmp/old/installer installer --rounds 5

Each tree's package is imported once (under its own module objects) and builds its own index from
/tmp/bench-intel; then each round runs `hunt_logs` over every file of /tmp/bench-logs with each tree in
turn (a fresh Matcher: cold memo), with a plain `json.loads` loop between them. Runs of the two trees are
interleaved, so background load on a shared machine hits both alike; compare best-of figures and ratios.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from baseline import json_loads_loop
from source_tree import import_from_tree

INTEL, LOGS = "/tmp/bench-intel", Path("/tmp/bench-logs")


def import_tree(tree: str) -> dict[str, ModuleType]:
    """The modules the pipeline needs, imported afresh from `tree`."""
    names = ("hunt", "intel.load", "matching", "zeek.reader", "zeek.stats")
    modules = import_from_tree(tree, *(f"minisoc.correlator.{name}" for name in names))
    return {name.rsplit(".", 1)[-1]: module for name, module in zip(names, modules, strict=True)}


def pipeline(modules: dict[str, Any], index: Any, files: list[Path]) -> tuple[float, int, int]:
    """(CPU seconds, lines, alerts) of hunt_logs over `files` with a fresh Matcher."""
    matcher = modules["matching"].Matcher(index)
    stats = modules["stats"].ReadStats()
    gc.collect()
    started = time.process_time()
    alerts = sum(len(modules["hunt"].hunt_logs([path], matcher, stats=stats, site="bench", now=1.8e9))
                 for path in files)
    return time.process_time() - started, stats.lines_total, alerts


def timed_json_loads(files: list[Path]) -> tuple[float, int]:
    """(CPU seconds, lines) of the json.loads baseline."""
    gc.collect()
    started = time.process_time()
    count = json_loads_loop(files)
    return time.process_time() - started, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs=2, help="two directories holding the minisoc package")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    indexes = {}
    for tree in arguments.trees:
        modules = import_tree(tree)
        files = modules["reader"].find_log_files(LOGS)
        indexes[tree] = modules["matching"].IndicatorIndex.from_columns(
            modules["load"].load_intel_columns([INTEL]).columns)
    best: dict[str, float] = {}
    best_json = 0.0
    for _ in range(arguments.rounds):
        for tree in arguments.trees:
            modules = import_tree(tree)
            seconds, lines, alerts = pipeline(modules, indexes[tree], files)
            json_seconds, json_lines = timed_json_loads(files)
            best[tree] = max(best.get(tree, 0.0), lines / seconds)
            best_json = max(best_json, json_lines / json_seconds)
            print(f"{tree}: {lines / seconds:,.0f} lines/CPU-s ({alerts} alerts); "
                  f"json.loads {json_lines / json_seconds:,.0f} lines/CPU-s", flush=True)
    for tree, rate in best.items():
        print(f"{tree}: best {rate:,.0f} lines/CPU-s, {rate / best_json:.2f}x the best json.loads "
              f"({best_json:,.0f})")


if __name__ == "__main__":
    main()
