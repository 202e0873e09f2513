"""The indicator load of `minisoc hunt`, per intel format: time, peak RSS growth and resident bytes.

    python bench/gen_intel_formats.py /tmp/bench-intel-sets          # 1M indicators in 4 formats
    PYTHONPATH=installer python bench/intel_load.py /tmp/bench-intel-sets [--repeat 3] [--format zeek ...]
        [--against ../main]     # also another checkout (the baseline), each format measured in turn

Each run is a fresh process (so the peak is that of one load, not of the runs before it) doing what
`minisoc hunt` does before it reads a log: `load_hunt_columns` then `IndicatorIndex.from_columns`, the
columns then dropped. Printed per format: the median wall time of --repeat runs, the peak RSS growth
(VmHWM minus the RSS before the load) per indicator and the RSS left after the load per indicator (the
index and whatever the allocator kept), both from the median run. Prints figures, never asserts.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

FORMATS = {"zeek": "zeek/intel.dat", "feed": "feed", "csv": "list.csv", "event": "event.json"}


def _status(field: str) -> int:
    """A VmRSS/VmHWM line of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def _reset_peak() -> None:
    """Make VmHWM start from the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def _trim() -> None:
    try:
        from minisoc.correlator.matching.packed import return_freed_memory
    except ImportError:  # a tree from before it (--against)
        return
    return_freed_memory()


def one_load(path: str) -> dict[str, float]:
    """Load `path` as `minisoc hunt` does; the figures of this one run."""
    from minisoc.correlator.hunt import load_hunt_columns
    from minisoc.correlator.matching import IndicatorIndex

    gc.collect()
    _reset_peak()
    before = _status("VmRSS")
    started = time.perf_counter()
    try:
        columns, summary = load_hunt_columns([path], [], lean=True)
    except TypeError:  # a tree from before lean columns (--against)
        columns, summary = load_hunt_columns([path], [])
    _trim()  # what minisoc hunt does around the index build (run_hunt)
    index = IndicatorIndex.from_columns(columns)
    del columns
    _trim()
    seconds = time.perf_counter() - started
    gc.collect()
    count = len(index)
    return {"seconds": seconds, "indicators": count, "loaded": summary.loaded,
            "peak_per": (_status("VmHWM") - before) / max(count, 1),
            "resident_per": (_status("VmRSS") - before) / max(count, 1),
            "index_per": index.nbytes() / max(count, 1)}


def measure(path: str, repeat: int, tree: Path | None = None) -> dict[str, float]:
    """Median of `repeat` fresh-process loads (by wall time), of this tree's minisoc or of `tree`'s."""
    runs = []
    env = {**os.environ, "PYTHONPATH": str(tree / "installer")} if tree else {**os.environ}
    for _ in range(repeat):
        output = subprocess.run([sys.executable, __file__, "--one", path], check=True, capture_output=True,
                                text=True, env=env).stdout
        runs.append(json.loads(output))
    runs.sort(key=lambda run: run["seconds"])
    median = dict(runs[len(runs) // 2])
    median["seconds"] = statistics.median(run["seconds"] for run in runs)
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="?", type=Path, default=Path("/tmp/bench-intel-sets"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--format", action="append", choices=sorted(FORMATS))
    parser.add_argument("--against", type=Path, help="another checkout (its installer/), measured in turn")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="one JSON object (bench/run.py --all)")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_load(args.one)))
        return
    if args.json:
        print(json.dumps({name: measure(str(args.sets / FORMATS[name]), args.repeat)
                          for name in args.format or list(FORMATS)}))
        return
    print(f"loadavg {Path('/proc/loadavg').read_text().strip()}")
    print(f"{'format':8} {'indicators':>10} {'load s':>7} {'peak B/ind':>10} {'resident B/ind':>14}"
          f" {'index B/ind':>11}")
    for name in args.format or list(FORMATS):
        trees: list[Path | None] = [None, args.against] if args.against else [None]
        runs = [measure(str(args.sets / FORMATS[name]), args.repeat, tree) for tree in trees]
        for tree, run in zip(trees, runs, strict=True):
            label = name if tree is None else f"  {tree.name}"
            print(f"{label:8} {run['indicators']:>10,.0f} {run['seconds']:>7.2f} {run['peak_per']:>10.0f}"
                  f" {run['resident_per']:>14.0f} {run['index_per']:>11.1f}")
        if args.against:
            print(f"  speed-up {runs[1]['seconds'] / runs[0]['seconds']:.1f}x, peak"
                  f" {runs[1]['peak_per'] / runs[0]['peak_per']:.1f}x smaller")


if __name__ == "__main__":
    main()
