"""A/B on a shared machine: load and pipeline of one source tree, best-of CPU time, with json.loads alongside.

    git archive <commit> installer | tar -x -C /tmp/old
    for tree in /tmp/old . /tmp/old .; do python bench/compare_trees.py $tree; done

Run the trees alternately (as above) so both see the same background load; compare best-of figures and each
run's own json.loads. Works with trees from before the bulk load / fused loop (falls back to the old calls).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from baseline import json_loads_loop

LOGS, INTEL = Path("/tmp/bench-logs"), "/tmp/bench-intel"


def cpu(function: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.process_time()
    result = function()
    return time.process_time() - started, result


def main() -> None:
    tree = sys.argv[1]
    sys.path[:0] = [f"{tree}/installer"]
    from minisoc.correlator import hunt
    from minisoc.correlator.intel import load
    from minisoc.correlator.matching import IndicatorIndex, Matcher
    from minisoc.correlator.zeek.reader import find_log_files, read_logs
    from minisoc.correlator.zeek.stats import ReadStats

    files = find_log_files(LOGS)

    def load_index() -> Any:
        if hasattr(load, "load_intel_columns"):
            return IndicatorIndex.from_columns(load.load_intel_columns([INTEL]).columns)  # type: ignore[attr-defined]
        return IndicatorIndex.build(load.load_intel([INTEL]).indicators)

    def pipeline(matcher: Any) -> tuple[int, int]:
        stats, alerts = ReadStats(), 0
        for path in files:
            if hasattr(hunt, "hunt_logs"):
                alerts += len(hunt.hunt_logs([path], matcher, stats=stats, site="b", now=1.8e9))
            else:
                alerts += len(hunt.hunt_records(read_logs([path], stats=stats), matcher, site="b", now=1.8e9))
        return stats.lines_total, alerts

    loads = []
    for _ in range(2):
        seconds, index = cpu(load_index)
        loads.append(seconds)
    baseline, piped, alerts = [], [], 0
    for _ in range(3):
        seconds, lines = cpu(lambda: json_loads_loop(files))
        baseline.append(lines / seconds)
        seconds, (lines, alerts) = cpu(lambda: pipeline(Matcher(index)))
        piped.append(lines / seconds)
    print(json.dumps({"tree": tree, "load_cpu_s_best": round(min(loads), 2),
                      "json_loads_lines_per_cpu_s_best": round(max(baseline)),
                      "pipeline_lines_per_cpu_s_best": round(max(piped)), "alerts": alerts}))


if __name__ == "__main__":
    main()
