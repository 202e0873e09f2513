"""A/B of the intel load alone, two source trees in ONE process, alternately (best-of CPU time).

    git archive <commit> installer | tar -x -C /tmp/old
    python bench/compare_load.py /tmp/old/installer installer --rounds 4

Each round imports the package from each tree afresh and times `load_intel_columns` (feed decode and
rows) and `IndicatorIndex.from_columns` (index build) on /tmp/bench-intel. On a shared machine the spread
between runs is larger than most single changes: compare the best of several rounds.
"""

from __future__ import annotations

import argparse
import gc
import time

from source_tree import import_from_tree

INTEL = "/tmp/bench-intel"


def load_once(tree: str) -> tuple[float, float]:
    """(load, index build) CPU seconds with the package imported from `tree`."""
    load, matching = import_from_tree(tree, "minisoc.correlator.intel.load", "minisoc.correlator.matching")
    load_intel_columns, IndicatorIndex = load.load_intel_columns, matching.IndicatorIndex
    gc.collect()
    started = time.process_time()
    columns = load_intel_columns([INTEL]).columns
    loaded = time.process_time()
    IndicatorIndex.from_columns(columns)
    return loaded - started, time.process_time() - loaded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs=2, help="two directories holding the minisoc package")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {tree: [] for tree in arguments.trees}
    for _ in range(arguments.rounds):
        for tree in arguments.trees:
            load, build = load_once(tree)
            results[tree].append((load, build))
            print(f"{tree}: load {load:.2f} s, index {build:.2f} s, total {load + build:.2f} s", flush=True)
    for tree, runs in results.items():
        best_load, best_index = min(r[0] for r in runs), min(r[1] for r in runs)
        print(f"{tree}: best load {best_load:.2f} s, best index {best_index:.2f} s, "
              f"best total {min(sum(r) for r in runs):.2f} s")


if __name__ == "__main__":
    main()
