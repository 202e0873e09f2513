"""The baseline every scanning figure is compared with (a plain `json.loads` loop over the same log files),
and the one timer of the benchmarks."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def json_loads_loop(files: list[Path]) -> int:
    """Lines parsed with the standard library's json.loads, file by file (nothing else done with them)."""
    count = 0
    for path in files:
        with path.open("rb") as handle:
            for line in handle:
                json.loads(line)
                count += 1
    return count


def timed(function: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result), after a full collection."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def peak_rss_mib(pid: int) -> float:
    """VmHWM of process `pid` (its peak resident memory), in MiB; 0.0 when /proc does not show it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
